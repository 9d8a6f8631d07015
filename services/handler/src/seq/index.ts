/**
 * Reliability services shared by the held HTTP sessions: last ids, the sequencer, internal
 * requests through the proxy (next links, retries), the update rate limiter.
 */
import type { RequestData } from '@pushpin-ts/zhttp';
import type { LastIds } from './last-ids.js';
import type { InResponse, InternalRequester } from './internal-request.js';
import type { UpdateLimiter } from './update-limiter.js';
import type { LinkTimers } from './link-timers.js';

export { LastIds, LAST_IDS_MAX } from './last-ids.js';
export { Sequencer, CHANNEL_PENDING_MAX } from './sequencer.js';
export {
  InternalRequester, InternalRequestError, shareKey,
  type InResponse, type OutRequest, type InitiatorLike, type InitiatorSessionLike,
} from './internal-request.js';
export { UpdateLimiter, type Updatable } from './update-limiter.js';
export { FirstSubscriptionUpdater, SUBSCRIBED_DELAY_MS } from './first-subscription.js';
export { LinkTimers, type LinkTimed } from './link-timers.js';
export * from './next-link.js';

/** What a held session keeps from its accept, to re-ask the backend later. */
export interface SessionOrigin {
  /** The client's original request (retries resend it). */
  request: RequestData;
  /** Route prefix of channel names. */
  channelPrefix: string;
  /** `debug` of the route/proxy: errors are written to the client. */
  debug: boolean;
  /** The client's address (retries are sent with it). */
  peerAddress?: string;
  /** Route id from the accept; internal requests name it (`passthrough.route`). */
  route?: string;
}

/** A retried long-poll got an answer: the accept logic takes it from here. */
export type ResumeFn = (resp: InResponse) => void;

export interface SeqServices {
  lastIds: LastIds;
  limiter: UpdateLimiter;
  /** Next-link timeouts, bucketed by timeout and URI. */
  linkTimers: LinkTimers;
  /** Undefined when the intreq sockets are not configured. */
  requester: InternalRequester | undefined;
  /** First next-link retry delay (ms); tests shorten it. */
  retryBaseMs: number;
}
