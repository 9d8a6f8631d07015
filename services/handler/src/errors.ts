/** Errors of the handler service; callers branch on `code`. */
export class HandlerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HandlerError';
    this.code = code;
  }
}

/**
 * A request sent through the proxy's intreq socket (next link, retry, gone link) failed.
 * `condition`: `timeout`, `too-large`, `open-failed`, `send-failed` or the ZHTTP condition.
 */
export class InternalRequestError extends HandlerError {
  constructor(message = 'internal request failed', readonly condition = 'undefined-condition') {
    super('PP_ERR_HANDLER_INTREQ', message);
    this.name = 'InternalRequestError';
  }
}

/** Bad command line (unknown option, missing value, malformed `--set`). */
export class HandlerArgsError extends HandlerError {
  constructor(message = 'invalid command line') {
    super('PP_ERR_HANDLER_ARGS', message);
    this.name = 'HandlerArgsError';
  }
}
