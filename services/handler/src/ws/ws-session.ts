/**
 * A GRIP WebSocket connection as the handler sees it (websocket-over-http.md §7): the proxy
 * keeps the client connection; the handler keeps its subscriptions, meta and delayed message,
 * and sends published `ws-message` items back to the proxy as WS-control `send`/`close`/
 * `refresh` items.
 */
import {
  applyContentFilters, contentFilterMismatch, contentFilterNames, FilterError, type FilterContext, type PublishItem,
} from '@pushpin-ts/grip';
import type { WsControlItem } from '@pushpin-ts/zhttp';
import type { ChannelSub, PreparedItem, Subscriber, SubscriptionHub } from '../hub.js';
import type { HandlerLog } from '../log.js';
import type { TimerWheel, WheelTimer } from '../timer-wheel.js';

/** What a session needs from the process. */
export interface WsSessionContext {
  hub: SubscriptionHub;
  wheel: TimerWheel;
  log: HandlerLog;
  /** Queues an item for the proxy. */
  send(item: WsControlItem): void;
  /** The session is over (expired or gone): forget it. */
  forget(s: WsSession): void;
}

export interface WsSessionInfo {
  route: string;
  channelPrefix: string;
  /** Seconds without a refresh after which the session is dropped. */
  ttl: number;
}

export class WsSession implements Subscriber {
  readonly mode = 'ws' as const;
  readonly subs = new Map<string, ChannelSub>();
  readonly channelNames = new Set<string>();
  readonly meta: Record<string, string> = {};
  /** Implicit `sub=` channels: cannot be unsubscribed. */
  readonly implicit = new Set<string>();
  sessionId: string | undefined;
  /** Content of the backend's `keep-alive` control message, sent when the proxy asks (`need-keep-alive`). */
  keepAlive: { contentType: string | undefined; message: Buffer } | undefined;
  private expireTimer: WheelTimer | undefined;
  private delayed: { type: string; content: Buffer; timer: WheelTimer } | undefined;
  private released = false;

  /**
   * @param proxy instance id of the proxy holding the client (`from` of its packets): where
   *   this session's items go when several proxies share the handler.
   */
  constructor(private readonly ctx: WsSessionContext, readonly cid: string, public info: WsSessionInfo, public proxy = '') {}

  /** Registers with the hub and starts the expiry timer. */
  start(): void {
    this.ctx.hub.addConnection(this)?.abandon?.();
    this.touch();
  }

  /** The proxy refreshed the session. */
  touch(ttl = this.info.ttl): void {
    if (this.released) return;
    this.info.ttl = ttl;
    this.ctx.wheel.cancel(this.expireTimer);
    this.expireTimer = this.ctx.wheel.schedule(Math.max(1, ttl) * 1000, () => {
      this.ctx.log.info({ cid: this.cid }, 'ws session expired (no refresh from the proxy)');
      this.release();
    });
  }

  /** Subscribes (full channel name); false when the subscription limit refused it. */
  subscribe(channel: string, filters: readonly string[], max: number, implicit = false): boolean {
    if (this.released) return false;
    if (!this.subs.has(channel) && this.subs.size >= max) return false;
    this.subs.set(channel, { channel, filters: [...filters] });
    this.channelNames.add(channel);
    if (implicit) this.implicit.add(channel);
    this.ctx.hub.subscribe(this, channel);
    return true;
  }

  unsubscribe(channel: string): void {
    if (this.implicit.has(channel) || !this.subs.delete(channel)) return;
    this.channelNames.delete(channel);
    this.ctx.hub.unsubscribe(this, channel);
  }

  setMeta(name: string, value: string | undefined): void {
    if (value === undefined) delete this.meta[name];
    else this.meta[name] = value;
  }

  /** Schedules a message; a pending one is sent first (§7.2 `send-delayed`). */
  sendDelayed(type: string, content: Buffer, timeoutMs: number): void {
    this.flushDelayed();
    const timer = this.ctx.wheel.schedule(timeoutMs, () => this.flushDelayed());
    this.delayed = { type, content, timer };
  }

  flushDelayed(): void {
    const d = this.delayed;
    if (!d) return;
    this.delayed = undefined;
    this.ctx.wheel.cancel(d.timer);
    if (!this.released) this.ctx.send({ cid: this.cid, type: 'send', contentType: d.type, message: d.content, queue: true });
  }

  deliver(p: PreparedItem, sub: ChannelSub): void {
    if (this.released) return;
    const f = p.item.formats.wsMessage;
    if (!f) return;
    switch (f.action) {
      case 'hint':
        return;
      case 'refresh':
        this.ctx.send({ cid: this.cid, type: 'refresh' });
        return;
      case 'close': {
        const it: WsControlItem = { cid: this.cid, type: 'close' };
        if (f.code !== undefined) it.code = f.code;
        if (f.reason !== undefined) it.reason = f.reason;
        this.ctx.send(it);
        return;
      }
      case 'send':
        break;
    }
    const mismatch = contentFilterMismatch(sub.filters, f.contentFilters);
    if (mismatch !== undefined) {
      this.ctx.log.debug({ cid: this.cid, channel: sub.channel, err: mismatch }, 'ws-message dropped');
      return;
    }
    let content = f.content;
    const cf = contentFilterNames(sub.filters);
    if (cf.length) {
      try {
        content = applyContentFilters(cf, content, this.filterContext(p.item));
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        this.ctx.log.warn({ cid: this.cid, channel: sub.channel, err: err.message }, 'filter error: ws-message dropped');
        return;
      }
    }
    this.ctx.send({ cid: this.cid, type: 'send', contentType: f.type, message: content });
  }

  /** `refresh` command: ask the proxy for a WebSocket-over-HTTP request. */
  refresh(): void {
    if (!this.released) this.ctx.send({ cid: this.cid, type: 'refresh' });
  }

  /** Route id (the hub's `message_rate` bucket). */
  get route(): string { return this.info.route; }

  /** Another session took over this id. */
  abandon(): void { this.release(); }

  /** Leaves the hub and stops timers. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.ctx.wheel.cancel(this.expireTimer);
    if (this.delayed) { this.ctx.wheel.cancel(this.delayed.timer); this.delayed = undefined; }
    this.ctx.hub.removeConnection(this);
    this.ctx.forget(this);
  }

  get isReleased(): boolean { return this.released; }

  private filterContext(item: PublishItem): FilterContext {
    return { subMeta: this.meta, pubMeta: item.meta, channels: this.channelNames, prevIds: {} };
  }
}
