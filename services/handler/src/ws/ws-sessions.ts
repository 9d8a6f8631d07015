/**
 * The handler's side of WS-control (architecture.md §5.3): items from the proxy create,
 * refresh and end {@link WsSession}s and carry their GRIP control messages; this module turns
 * those into hub subscriptions and answers with items for the proxy (`detach`,
 * `keep-alive-setup`, `close`, `cancel`, delayed `send`).
 */
import { MAX_FILTERS_PER_CHANNEL, parseWsControlMessage, WsControlError, type WsControl } from '@pushpin-ts/grip';
import { decodeWsControlPacket, encodeWsControlPacket, type WsControlItem } from '@pushpin-ts/zhttp';
import type { SubscriptionHub } from '../hub.js';
import type { HandlerLog } from '../log.js';
import type { TimerWheel } from '../timer-wheel.js';
import { WsSession, type WsSessionContext } from './ws-session.js';

/** Default session ttl (seconds) when the proxy gives none. */
const DEFAULT_TTL = 60;
/** Defaults of the `keep-alive` and `send-delayed` control messages (seconds). */
const KEEP_ALIVE_TIMEOUT = 55;
const SEND_DELAYED_TIMEOUT = 1;
const MAX_ITEMS = 128;

export interface WsSessionsOptions {
  hub: SubscriptionHub;
  wheel: TimerWheel;
  log: HandlerLog;
  instanceId: string;
  /** `connection_subscription_max`. */
  connectionSubscriptionMax: number;
  /** Writes one encoded packet to the proxy `proxy` (the `from` of its packets). */
  output(frame: Buffer, proxy: string): void;
}

export class WsSessions {
  private readonly sessions = new Map<string, WsSession>();
  private pending: Array<{ proxy: string; item: WsControlItem }> = [];
  private flushScheduled = false;
  private readonly sctx: WsSessionContext;

  constructor(private readonly o: WsSessionsOptions) {
    this.sctx = {
      hub: o.hub, wheel: o.wheel, log: o.log,
      send: (it) => this.send(it, this.sessions.get(it.cid)?.proxy ?? ''),
      forget: (s) => { if (this.sessions.get(s.cid) === s) this.sessions.delete(s.cid); },
    };
  }

  get size(): number { return this.sessions.size; }
  session(cid: string): WsSession | undefined { return this.sessions.get(cid); }

  /** One frame from the proxy's PUSH. Never throws. */
  onFrames(frames: Buffer[]): void {
    const frame = frames[frames.length - 1];
    if (!frame) return;
    let items: WsControlItem[];
    let from: string;
    try {
      ({ items, from } = decodeWsControlPacket(frame));
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message, bytes: frame.length }, 'malformed ws-control packet from proxy ignored');
      return;
    }
    for (const it of items) {
      try {
        this.onItem(it, from);
      } catch (err) {
        this.o.log.error({ cid: it.cid, type: it.type, err: String(err) }, 'ws-control item handling failed');
      }
    }
  }

  /** One item from proxy `from`. */
  onItem(it: WsControlItem, from = ''): void {
    const s = this.sessions.get(it.cid);
    const cancel = (): void => this.send({ cid: it.cid, type: 'cancel' }, from);
    switch (it.type) {
      case 'here': {
        const info = { route: it.route ?? '', channelPrefix: it.channelPrefix ?? '', ttl: it.ttl ?? DEFAULT_TTL };
        if (s) { s.info = { ...info }; s.proxy = from; s.touch(info.ttl); return; }
        const n = new WsSession(this.sctx, it.cid, info, from);
        this.sessions.set(it.cid, n);
        n.start();
        this.o.log.debug({ cid: it.cid, route: info.route }, 'ws session registered');
        return;
      }
      case 'keep-alive':
        if (s) s.touch(it.ttl ?? s.info.ttl);
        else cancel();
        return;
      case 'gone':
      case 'cancel':
        if (s) {
          s.release();
          this.o.log.debug({ cid: it.cid }, 'ws session gone');
        }
        return;
      case 'subscribe':
        if (!s) { cancel(); return; }
        if (it.channel) s.subscribe(s.info.channelPrefix + it.channel, [], Number.MAX_SAFE_INTEGER, true);
        return;
      case 'grip':
        if (!s) { cancel(); return; }
        this.onGrip(s, it.message ?? Buffer.alloc(0));
        return;
      case 'need-keep-alive': {
        // Pushpin 1.36's proxy runs the timer and asks for the content each time it fires
        if (!s) { cancel(); return; }
        const ka = s.keepAlive;
        if (!ka) return;
        const out: WsControlItem = { cid: s.cid, type: 'send', message: ka.message };
        if (ka.contentType !== undefined) out.contentType = ka.contentType;
        this.send(out, s.proxy);
        return;
      }
      default:
        this.o.log.debug({ cid: it.cid, type: it.type }, 'ws-control item ignored');
    }
  }

  private onGrip(s: WsSession, json: Buffer): void {
    let c: WsControl;
    try {
      c = parseWsControlMessage(json);
    } catch (err) {
      if (!(err instanceof WsControlError)) throw err;
      this.o.log.debug({ cid: s.cid, err: err.message }, 'invalid grip control message ignored');
      return;
    }
    switch (c.type) {
      case 'subscribe': {
        if (c.filters.length > MAX_FILTERS_PER_CHANNEL) {
          this.o.log.info({ cid: s.cid, channel: c.channel }, 'too many filters; closing connection');
          this.send({ cid: s.cid, type: 'close', code: 1011 }, s.proxy);
          return;
        }
        const ch = s.info.channelPrefix + c.channel;
        if (!s.subscribe(ch, c.filters, this.o.connectionSubscriptionMax)) {
          this.o.log.debug({ cid: s.cid, channel: ch }, 'connection_subscription_max reached; subscribe ignored');
        } else {
          this.o.log.debug({ cid: s.cid, channel: ch }, 'ws subscribe');
        }
        return;
      }
      case 'unsubscribe':
        s.unsubscribe(s.info.channelPrefix + c.channel);
        return;
      case 'detach':
        this.send({ cid: s.cid, type: 'detach' }, s.proxy);
        return;
      case 'session':
        s.sessionId = c.id || undefined;
        return;
      case 'set-meta':
        s.setMeta(c.name, c.value);
        return;
      case 'keep-alive': {
        // the content travels in the setup too: our proxy then sends it without asking back;
        // Pushpin's proxy ignores it and asks with `need-keep-alive` (answered above)
        const it: WsControlItem = { cid: s.cid, type: 'keep-alive-setup' };
        s.keepAlive = undefined;
        if (c.content !== undefined) {
          it.contentType = c.messageType;
          it.message = c.content;
          it.timeout = c.timeout ?? KEEP_ALIVE_TIMEOUT;
          it.keepAliveMode = c.mode;
          s.keepAlive = { contentType: c.messageType, message: c.content };
        }
        this.send(it, s.proxy);
        return;
      }
      case 'send-delayed':
        if (c.content === undefined) { s.flushDelayed(); return; }
        s.sendDelayed(c.messageType, c.content, Math.max(0, c.timeout ?? SEND_DELAYED_TIMEOUT) * 1000);
        return;
      case 'flush-delayed':
        s.flushDelayed();
        return;
    }
  }

  /** Queues an item for proxy `proxy`; items of one event-loop turn go out in one packet per proxy, in order. */
  send(it: WsControlItem, proxy: string): void {
    this.pending.push({ proxy, item: it });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => { this.flushScheduled = false; this.flush(); });
  }

  private flush(): void {
    const byProxy = new Map<string, WsControlItem[]>();
    for (const { proxy, item } of this.pending.splice(0)) {
      let list = byProxy.get(proxy);
      if (!list) byProxy.set(proxy, (list = []));
      list.push(item);
    }
    for (const [proxy, all] of byProxy) {
      for (let i = 0; i < all.length; i += MAX_ITEMS) {
        try {
          this.o.output(encodeWsControlPacket({ from: this.o.instanceId, items: all.slice(i, i + MAX_ITEMS) }), proxy);
        } catch (err) {
          this.o.log.warn({ err: String(err), proxy }, 'cannot send ws-control packet');
        }
      }
    }
  }

  /** Drops every session (shutdown). */
  close(): void {
    for (const s of [...this.sessions.values()]) s.release();
  }
}
