/**
 * @pushpin-ts/connmgr: the client-facing HTTP/1.1 + WebSocket server (Pushpin's condure),
 * speaking ZHTTP as the initiator. The process entry point is src/main.ts; these exports
 * are the pure pieces, for tests and tools.
 */
export { parseArgs, parseListenArg, USAGE } from './args.js';
export type { ConnmgrArgs, ListenSpec } from './args.js';
export { formatAddress } from './address.js';
export { checkFraming, headBytes, headerValue, rawLatin1, requestUri } from './request-head.js';
export type { RequestHead, Framing } from './request-head.js';
export { planResponse } from './response-head.js';
export type { ResponsePlan } from './response-head.js';
export * from './errors.js';
