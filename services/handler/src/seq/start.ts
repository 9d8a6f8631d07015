/**
 * Wires the reliability services into a running handler: last ids, the sequencer in front of
 * the hub, the update limiter, first-subscription updates, and the ZHTTP initiator towards
 * the proxy's intreq socket (`proxy_intreq_out_specs` PUSH, `proxy_intreq_out_stream_specs`
 * ROUTER, `proxy_intreq_in_specs` SUB; all connect).
 */
import type { PushpinConfig } from '@pushpin-ts/config';
import { InitiatorTransport, ZhttpInitiator } from '@pushpin-ts/zhttp';
import type { SubscriptionHub } from '../hub.js';
import type { HandlerLog } from '../log.js';
import type { TimerWheel } from '../timer-wheel.js';
import { FirstSubscriptionUpdater } from './first-subscription.js';
import { InternalRequester } from './internal-request.js';
import { LastIds } from './last-ids.js';
import { LinkTimers } from './link-timers.js';
import { NEXT_LINK_RETRY_BASE_MS } from './next-link.js';
import { Sequencer } from './sequencer.js';
import { UpdateLimiter } from './update-limiter.js';
import type { SeqServices } from './index.js';

export interface StartSeqOptions {
  config: PushpinConfig;
  hub: SubscriptionHub;
  wheel: TimerWheel;
  log: HandlerLog;
  instanceId: string;
}

export interface SeqRuntime {
  services: SeqServices;
  sequencer: Sequencer;
  close(): void;
}

export async function startSeqServices(o: StartSeqOptions): Promise<SeqRuntime> {
  const h = o.config.handler;
  const lastIds = new LastIds();
  const sequencer = new Sequencer({
    wheel: o.wheel, log: o.log, lastIds, waitMs: Math.max(0, h.messageWait), idCacheTtl: h.idCacheTtl,
    hasSubscribers: (ch) => o.hub.hasChannel(ch),
  });
  o.hub.setStage(sequencer);
  o.hub.onChannelRemoved((ch) => sequencer.clearChannel(ch));
  const limiter = new UpdateLimiter(o.wheel, o.log);
  const linkTimers = new LinkTimers(o.wheel);
  const first = h.updateOnFirstSubscription ? new FirstSubscriptionUpdater(o.hub, o.wheel, o.log) : undefined;

  let transport: InitiatorTransport | undefined;
  let initiator: ZhttpInitiator | undefined;
  let requester: InternalRequester | undefined;
  if (h.proxyIntreqOutSpecs.length && h.proxyIntreqOutStreamSpecs.length && h.proxyIntreqInSpecs.length) {
    // a distinct identity: the condure-facing ROUTER already uses the instance id
    const id = `${o.instanceId}-intreq`;
    transport = new InitiatorTransport({
      instanceId: id,
      pushSpecs: [...h.proxyIntreqOutSpecs],
      routerSpecs: [...h.proxyIntreqOutStreamSpecs],
      subSpecs: [...h.proxyIntreqInSpecs],
      bind: false,
    }, o.log);
    initiator = new ZhttpInitiator(transport, { instanceId: id, log: o.log });
    requester = new InternalRequester({ initiator, scheduler: o.wheel, log: o.log });
    await transport.start();
    initiator.start();
    o.log.info({ push: h.proxyIntreqOutSpecs, router: h.proxyIntreqOutStreamSpecs, sub: h.proxyIntreqInSpecs }, 'internal requests (next links, retries) go through the proxy');
  } else {
    o.log.warn({}, 'no proxy_intreq_* specs: next links and long-poll retries are disabled');
  }

  return {
    sequencer,
    services: { lastIds, limiter, linkTimers, requester, retryBaseMs: NEXT_LINK_RETRY_BASE_MS },
    close() {
      first?.close();
      limiter.close();
      linkTimers.close();
      sequencer.close();
      initiator?.stop();
      try { transport?.close(); } catch { /* closing */ }
    },
  };
}
