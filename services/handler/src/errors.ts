/** Errors of the handler service; callers branch on `code`. */
export class HandlerError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HandlerError';
    this.code = code;
  }
}

/** Bad command line (unknown option, missing value, malformed `--set`). */
export class HandlerArgsError extends HandlerError {
  constructor(message = 'invalid command line') {
    super('PP_ERR_HANDLER_ARGS', message);
    this.name = 'HandlerArgsError';
  }
}
