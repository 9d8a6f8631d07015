/** Base class of connmgr errors; callers branch on `code`. */
export class ConnmgrError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ConnmgrError';
    this.code = code;
  }
}

/** Bad command line (unknown value, missing value, unsupported listener kind). */
export class ConnmgrArgsError extends ConnmgrError {
  constructor(message = 'invalid command line') { super('PP_ERR_CONNMGR_ARGS', message); this.name = 'ConnmgrArgsError'; }
}

/** A listen socket could not be opened (address in use, missing TLS files…). */
export class ConnmgrListenError extends ConnmgrError {
  constructor(message = 'cannot listen') { super('PP_ERR_CONNMGR_LISTEN', message); this.name = 'ConnmgrListenError'; }
}

/** Registry of every error code this service emits (kept in sync by a test). */
export const codes = {
  PP_ERR_CONNMGR_ARGS: ConnmgrArgsError,
  PP_ERR_CONNMGR_LISTEN: ConnmgrListenError,
} as const;
