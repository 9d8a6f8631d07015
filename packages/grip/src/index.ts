/**
 * @pushpin-ts/grip: pure codecs for GRIP (instruct headers and JSON, Grip-Sig), publish
 * items, WebSocket-over-HTTP events and control messages, filters and JSON Patch.
 * No I/O; errors are coded (see errors.ts).
 */

export * from './errors.js';
export {
  getHeaderValue, getHeaderValues, getParam, hasHeader, parseHeaderParamList, parseHeaderParams,
  splitHeaderList, stripInstructHeaders, type HeaderList, type HeaderParams,
} from './header-params.js';
export { statusReason } from './status-reasons.js';
export {
  contentMediaType, decodeCString, isGripResponse, parseInstruct,
  DEFAULT_KEEP_ALIVE_TIMEOUT, DEFAULT_NEXT_LINK_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT,
  GRIP_INSTRUCT_CONTENT_TYPE, MAX_FILTERS_PER_CHANNEL, MINIMUM_RESPONSE_TIMEOUT,
  type HoldMode, type HttpResponseData, type Instruct, type InstructChannel, type KeepAlive, type KeepAliveMode,
} from './instruct.js';
export { parseKeySpec, signGripSig, verifyGripSig, DEFAULT_SIG_TTL, type KeyMaterial } from './grip-sig.js';
export {
  type HttpResponseFormat, type HttpStreamFormat, type WsMessageFormat, type WsMessageType,
} from './publish-format.js';
export {
  parsePublishBody, parsePublishItem, parsePublishItems, type ParseItemOptions, type PublishItem,
} from './publish-item.js';
export { applyBodyPatch, applyJsonPatch, toJsonValue } from './json-patch.js';
export {
  decodeCloseContent, decodeWsEvents, encodeCloseContent, encodeWsEvents, WS_EVENTS_CONTENT_TYPE,
  type WsEvent, type WsEventType,
} from './ws-events.js';
export {
  parseWsControlMessage, parseWsControlValue, WS_CONTROL_PREFIX, type WsControl, type WsControlMessageType,
} from './ws-control.js';
export {
  applyContentFilters, applyDeliveryFilters, applyResponseFilters, contentFilterMismatch, contentFilterNames,
  FILTER_NAMES, type FilterAction, type FilterContext,
} from './filters.js';
