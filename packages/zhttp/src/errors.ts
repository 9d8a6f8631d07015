/** Base class of every ZHTTP error; callers branch on `code`. */
export class ZhttpError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ZhttpError';
    this.code = code;
  }
}

export class ZhttpFormatError extends ZhttpError {
  constructor(message = 'malformed ZHTTP packet') { super('PP_ERR_ZHTTP_FORMAT', message); this.name = 'ZhttpFormatError'; }
}
export class ZrpcFormatError extends ZhttpError {
  constructor(message = 'malformed ZRPC message') { super('PP_ERR_ZRPC_FORMAT', message); this.name = 'ZrpcFormatError'; }
}
export class ZrpcTimeoutError extends ZhttpError {
  constructor(message = 'ZRPC request timed out') { super('PP_ERR_ZRPC_TIMEOUT', message); this.name = 'ZrpcTimeoutError'; }
}
/** A ZRPC call answered with success=false; `condition` is the peer's condition string. */
export class ZrpcRemoteError extends ZhttpError {
  constructor(readonly condition: string, readonly value?: unknown) { super('PP_ERR_ZRPC_REMOTE', `remote error: ${condition}`); this.name = 'ZrpcRemoteError'; }
}
