/** Base class: every zurl error carries a stable `code`. */
export abstract class ZurlError extends Error {
  abstract readonly code: string;
}

/** zurl.conf could not be read or holds an invalid value. */
export class ZurlConfigError extends ZurlError {
  override readonly name = 'ZurlConfigError';
  readonly code = 'PP_ERR_ZURL_CONFIG';
  constructor(message = 'invalid zurl configuration') { super(message); }
}

/** The command line could not be understood. */
export class ZurlArgsError extends ZurlError {
  override readonly name = 'ZurlArgsError';
  readonly code = 'PP_ERR_ZURL_ARGS';
  constructor(message = 'invalid command line') { super(message); }
}

/** A ZHTTP request packet cannot be turned into an outbound request (answered with `bad-request`). */
export class ZurlBadRequestError extends ZurlError {
  override readonly name = 'ZurlBadRequestError';
  readonly code = 'PP_ERR_ZURL_BAD_REQUEST';
  constructor(message = 'invalid request') { super(message); }
}

/** The backend response grew past the initiator's `max-size`. */
export class ZurlMaxSizeError extends ZurlError {
  override readonly name = 'ZurlMaxSizeError';
  readonly code = 'PP_ERR_ZURL_MAX_SIZE';
  constructor(message = 'response larger than max-size') { super(message); }
}

/** No backend activity for the session timeout (`timeout` in zurl.conf, or the packet's `timeout`). */
export class ZurlSessionTimeoutError extends ZurlError {
  override readonly name = 'ZurlSessionTimeoutError';
  readonly code = 'PP_ERR_ZURL_SESSION_TIMEOUT';
  constructor(message = 'session timed out') { super(message); }
}

/** The initiator went away (cancel, error, expiry); the backend request is aborted. */
export class ZurlCancelledError extends ZurlError {
  override readonly name = 'ZurlCancelledError';
  readonly code = 'PP_ERR_ZURL_CANCELLED';
  constructor(message = 'session cancelled by initiator') { super(message); }
}

/** No response started within the packet's `timeout` (answered with `connection-timeout`). */
export class ZurlConnectTimeoutError extends ZurlError {
  override readonly name = 'ZurlConnectTimeoutError';
  readonly code = 'PP_ERR_ZURL_CONNECT_TIMEOUT';
  constructor(message = 'no response before the request timeout') { super(message); }
}

/** More redirects than allowed while following `follow-redirects`. */
export class ZurlTooManyRedirectsError extends ZurlError {
  override readonly name = 'ZurlTooManyRedirectsError';
  readonly code = 'PP_ERR_ZURL_TOO_MANY_REDIRECTS';
  constructor(message = 'too many redirects') { super(message); }
}

/** The destination is refused by `defpolicy`/`allow`/`deny`. */
export class ZurlPolicyError extends ZurlError {
  override readonly name = 'ZurlPolicyError';
  readonly code = 'PP_ERR_ZURL_POLICY';
  constructor(message = 'destination denied by policy') { super(message); }
}
