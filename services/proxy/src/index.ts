export * from './errors.js';
export { parseArgs, type ProxyArgs } from './args.js';
export { parseClientRequest, type ClientRequest } from './client-request.js';
export { parseXffRule, applyXff, type XffRule } from './forwarded-for.js';
export {
  rewriteRequestHeaders, rewritePath, backendHost, backendUri, relayResponseHeaders,
  GRIP_FEATURE, REQUEST_HOP_BY_HOP, RESPONSE_HOP_BY_HOP, type RewriteOptions,
} from './request-rewrite.js';
export { testTargetResponse, testChannels, testPath, TEST_MAX_BODY } from './test-target.js';
export { textResponse, upstreamErrorDetail, MESSAGES } from './proxy-responses.js';
export { buildAcceptArgs, type HandoffInput, type AcceptService } from './grip-handoff.js';
export { GripSigner } from './grip-signing.js';
export { RoutesSource } from './routes-source.js';
export { RequestBody } from './request-body.js';
export { ProxyApp, zrpcAcceptService } from './app.js';
export { ProxySession, WINDOW, BUFFER_MAX, type SessionContext } from './proxy-session.js';
export { withCors } from './cors.js';
export { selectRoute } from './route-select.js';
