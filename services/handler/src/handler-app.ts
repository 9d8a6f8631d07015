/**
 * The handler's session side: ZHTTP towards the connection manager (adopted sessions only),
 * the proxy-facing ZRPC servers (`accept`, `inspect`), the shared timer wheel and the hub.
 */
import type { PushpinConfig } from '@pushpin-ts/config';
import { ResponderTransport, ZhttpResponder, ZrpcCondition, ZrpcServer } from '@pushpin-ts/zhttp';
import { handleAccept } from './accept.js';
import { SubscriptionHub } from './hub.js';
import type { HandlerLog } from './log.js';
import { TimerWheel } from './timer-wheel.js';
import { TurnQueue } from './turn-queue.js';
import { startSeqServices } from './seq/start.js';
import { startWsControl } from './ws/index.js';
import { PublishLimiter } from './inputs/publish-limiter.js';
import { exposedGc, IdleGc } from '@pushpin-ts/log';

export interface HandlerAppOptions {
  config: PushpinConfig;
  log: HandlerLog;
  /** `pushpin-handler_<pid>`: ZHTTP `from` and ROUTER identity. */
  instanceId: string;
  /** Timer wheel tick (ms); default 100. */
  tickMs?: number;
}

export interface HandlerApp {
  readonly hub: SubscriptionHub;
  readonly wheel: TimerWheel;
  readonly responder: ZhttpResponder;
  close(): void;
}

/** Connects every session-side socket and starts the timers. */
export async function startHandlerApp(opts: HandlerAppOptions): Promise<HandlerApp> {
  const { config, log, instanceId } = opts;
  const h = config.handler;
  const wheel = new TimerWheel({ tickMs: opts.tickMs ?? 100, onError: (err) => log.error({ err: String(err) }, 'timer callback failed') });
  const hub = new SubscriptionHub({ wheel, log, subscriptionLinger: h.subscriptionLinger });
  // message_rate / message_hwm (publish.md §5): <= 0 means unlimited, as in Pushpin
  const limiter = h.messageRate > 0
    ? new PublishLimiter({ rate: h.messageRate, hwm: h.messageHwm, intervalMs: 25, maxIntervalMs: 100, growAboveWeight: 1000, onError: (err) => log.error({ err: String(err) }, 'rate-limited delivery failed') })
    : undefined;
  if (limiter) hub.setLimiter(limiter);

  if (!h.condureInStreamSpecs.length || !h.condureOutSpecs.length) {
    log.warn({}, 'no condure_in_stream_specs / condure_out_specs in [proxy]: held sessions cannot be served');
  }
  const transport = new ResponderTransport({
    instanceId, pullSpecs: [], routerSpecs: h.condureInStreamSpecs, pubSpecs: h.condureOutSpecs, bind: false,
  }, log);
  const responder = new ZhttpResponder(transport, {
    instanceId, log,
    onSession: (s) => { log.warn({ from: s.peer, id: s.id }, 'unexpected new ZHTTP session, cancelling'); s.cancel(); },
  });

  // sequencer, last ids, next links / retries through the proxy's intreq socket
  const seq = await startSeqServices({ config, hub, wheel, log, instanceId });
  const deps = {
    hub, wheel, log, instanceId, seq: seq.services,
    sendRaw: (peer: string, payload: Buffer) => transport.send(peer, payload),
    sendShared: (peer: string, seg: Buffer, id: string, seq: number) => transport.sendShared(peer, seg, id, seq),
    turn: new TurnQueue((err) => log.error({ err: String(err) }, 'stream hold: deferred send failed')),
    adopt: (o: Parameters<ZhttpResponder['adopt']>[0]) => responder.adopt(o),
    connectionSubscriptionMax: Math.max(0, h.connectionSubscriptionMax),
  };

  // one full GC when accepts go quiet after a burst: the accept path's garbage would otherwise
  // keep the heap (and RSS) grown until V8's next major GC (needs --expose-gc; the runner passes it)
  const idleGc = new IdleGc(exposedGc());
  const servers: ZrpcServer[] = [];
  if (h.proxyAcceptSpec) {
    servers.push(new ZrpcServer([h.proxyAcceptSpec], false, log, (req) => {
      if (req.method !== 'accept') throw new ZrpcCondition('method-not-found');
      idleGc.touch();
      return handleAccept(req.args, deps);
    }));
  } else {
    log.warn({}, 'no proxy_accept_spec: the proxy cannot hand sessions over');
  }
  if (h.proxyInspectSpec) {
    servers.push(new ZrpcServer([h.proxyInspectSpec], false, log, (req) => {
      if (req.method !== 'inspect') throw new ZrpcCondition('method-not-found');
      return { 'no-proxy': false };
    }));
  }

  await transport.start();
  for (const s of servers) await s.start();
  const wsControl = await startWsControl({ config, hub, wheel, log, instanceId });
  responder.start();
  wheel.start();
  log.info({ instanceId, accept: h.proxyAcceptSpec, condureOut: h.condureOutSpecs, condureInStream: h.condureInStreamSpecs }, 'handler sessions ready');

  return {
    hub, wheel, responder,
    close() {
      wsControl?.close();
      limiter?.close();
      idleGc.stop();
      seq.close();
      wheel.stop();
      responder.stop();
      hub.close();
      for (const s of servers) s.close();
      transport.close();
    },
  };
}
