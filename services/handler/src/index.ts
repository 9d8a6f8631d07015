export type { Hub, HubEvents, HubState, PublishSink } from './hub-api.js';
export { SubscriptionHub, PreparedItem, type ChannelSub, type DeliveryStage, type Subscriber, type SubscriberMode } from './hub.js';
export { TimerWheel, type WheelTimer } from './timer-wheel.js';
export { startHandlerApp, type HandlerApp, type HandlerAppOptions } from './handler-app.js';
export { handleAccept, instructChannels, initialBody, REJECT_RESPONSE, type AcceptDeps } from './accept.js';
export { ResponseHold } from './response-hold.js';
export { StreamHold, STREAM_QUEUE_MAX_BYTES, STREAM_QUEUE_MAX_ITEMS } from './stream-hold.js';
export {
  FirstSubscriptionUpdater, InternalRequester, LastIds, Sequencer, UpdateLimiter,
  type SeqServices, type SessionOrigin,
} from './seq/index.js';
export { mergeResponseHeaders, publishedResponse, publishedBody } from './response-build.js';
export { encodeAddressSegment, encodeBodySegment, encodeDataPacket } from './stream-packet.js';
export { parseArgs, effectiveLogLevel } from './args.js';
export * from './errors.js';
export type { HandlerLog } from './log.js';
