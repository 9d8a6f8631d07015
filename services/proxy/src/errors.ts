/** Base class of the proxy's errors; callers branch on `code`. */
export class ProxyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProxyError';
    this.code = code;
  }
}

/** Bad command line (unknown value, missing `--config`). */
export class ProxyArgsError extends ProxyError {
  constructor(message = 'invalid command line') { super('PP_ERR_PROXY_ARGS', message); this.name = 'ProxyArgsError'; }
}

/** A first packet the proxy cannot serve (bad URI or scheme). */
export class ProxyRequestError extends ProxyError {
  constructor(message = 'invalid request') { super('PP_ERR_PROXY_REQUEST', message); this.name = 'ProxyRequestError'; }
}

/** Every error code of this service, keyed by itself. */
export const errorCodes = Object.freeze({
  PP_ERR_PROXY_ARGS: 'PP_ERR_PROXY_ARGS',
  PP_ERR_PROXY_REQUEST: 'PP_ERR_PROXY_REQUEST',
});
