/**
 * Coded errors of @pushpin-ts/grip. Callers branch on `code`; `message` carries
 * Pushpin's own wording where Pushpin has one (it is shown to clients in debug mode
 * and in 400 publish responses).
 */

export const codes = {
  PP_ERR_GRIP_INSTRUCT: 'PP_ERR_GRIP_INSTRUCT',
  PP_ERR_GRIP_SIG_KEY: 'PP_ERR_GRIP_SIG_KEY',
  PP_ERR_PUBLISH_FORMAT: 'PP_ERR_PUBLISH_FORMAT',
  PP_ERR_WS_EVENTS_MALFORMED: 'PP_ERR_WS_EVENTS_MALFORMED',
  PP_ERR_WS_CONTROL_INVALID: 'PP_ERR_WS_CONTROL_INVALID',
  PP_ERR_JSON_PATCH_FAILED: 'PP_ERR_JSON_PATCH_FAILED',
  PP_ERR_FILTER_FAILED: 'PP_ERR_FILTER_FAILED',
} as const;

export type GripErrorCode = keyof typeof codes;

/** Base class of every error thrown by this package. */
export class GripError extends Error {
  readonly code: GripErrorCode;
  constructor(code: GripErrorCode, message: string) {
    super(message);
    this.name = 'GripError';
    this.code = code;
  }
}

/** Backend GRIP instructions are invalid (`Grip-*` headers or application/grip-instruct body). */
export class GripInstructError extends GripError {
  constructor(message = 'invalid GRIP instructions') {
    super(codes.PP_ERR_GRIP_INSTRUCT, message);
    this.name = 'GripInstructError';
  }
}

/** A `sig_key` / `upstream_key` value cannot be used (bad PEM, unsupported key type). */
export class GripSigKeyError extends GripError {
  constructor(message = 'invalid Grip-Sig key') {
    super(codes.PP_ERR_GRIP_SIG_KEY, message);
    this.name = 'GripSigKeyError';
  }
}

/** A publish body or item is invalid. `message` is Pushpin's text (may be empty for an unknown action). */
export class PublishFormatError extends GripError {
  constructor(message = 'Invalid format.') {
    super(codes.PP_ERR_PUBLISH_FORMAT, message);
    this.name = 'PublishFormatError';
  }
}

/** An application/websocket-events body cannot be decoded. */
export class WsEventsError extends GripError {
  constructor(message = 'malformed websocket-events body') {
    super(codes.PP_ERR_WS_EVENTS_MALFORMED, message);
    this.name = 'WsEventsError';
  }
}

/** A `c:` WebSocket control message is not valid JSON or not a valid control object. */
export class WsControlError extends GripError {
  constructor(message = 'invalid grip control message') {
    super(codes.PP_ERR_WS_CONTROL_INVALID, message);
    this.name = 'WsControlError';
  }
}

/** A JSON Patch (RFC 6902) could not be applied. */
export class JsonPatchError extends GripError {
  constructor(message = 'json patch failed') {
    super(codes.PP_ERR_JSON_PATCH_FAILED, message);
    this.name = 'JsonPatchError';
  }
}

/** A content filter (`build-id`, `var-subst`) failed; callers report `filter error: <message>`. */
export class FilterError extends GripError {
  constructor(message = 'filter failed') {
    super(codes.PP_ERR_FILTER_FAILED, message);
    this.name = 'FilterError';
  }
}
