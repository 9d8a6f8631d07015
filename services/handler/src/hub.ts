/**
 * The subscription hub: channel → subscribers, and the fan-out of published items to the
 * held sessions (publish.md §1–§2, §5). Items pass through a `DeliveryStage` first, the
 * place where the sequencer (publish.md §3) plugs in; the default stage delivers at once.
 */
import { applyDeliveryFilters, type FilterContext, type PublishItem } from '@pushpin-ts/grip';
import type { Hub } from './hub-api.js';
import type { HandlerLog } from './log.js';
import { encodeBodySegment } from './stream-packet.js';
import type { TimerWheel, WheelTimer } from './timer-wheel.js';

/** Transport of a subscriber: decides which format of an item it receives. */
export type SubscriberMode = 'response' | 'stream' | 'ws';

/** One channel subscription of a session. */
export interface ChannelSub {
  /** Full channel name (route prefix applied). */
  readonly channel: string;
  readonly filters: readonly string[];
  prevId?: string;
}

/** A published item prepared once and shared by every subscriber it is delivered to. */
export class PreparedItem {
  private streamSeg: Buffer | undefined;
  constructor(readonly item: PublishItem) {}
  /** tnetstring body segment of the `http-stream` content, encoded on first use. */
  get streamSegment(): Buffer {
    return (this.streamSeg ??= encodeBodySegment(this.item.formats.httpStream?.content ?? Buffer.alloc(0)));
  }
}

/** A held connection as the hub sees it. */
export interface Subscriber {
  /** `<zhttp-sender>:<id>`, as in stats and `conncheck`. */
  readonly cid: string;
  readonly mode: SubscriberMode;
  /** Subscription meta (Grip-Set-Meta) for filters. */
  readonly meta: Record<string, string>;
  /** channel → subscription. */
  readonly subs: ReadonlyMap<string, ChannelSub>;
  /** Channel names, for the `require-sub` filter. */
  readonly channelNames: Set<string>;
  /** Called with an item that carries this subscriber's format and passed its delivery filters. */
  deliver(p: PreparedItem, sub: ChannelSub): void;
  /** The hub forgets this subscriber because another session took over its id. */
  abandon?(): void;
}

/** Where a sequencer sits: gets every valid item and calls `deliver` (now, later or never). */
export interface DeliveryStage {
  push(item: PublishItem, deliver: (item: PublishItem) => void): void;
  /** `recover`: forget last ids. */
  reset?(): void;
}

const PASS_THROUGH: DeliveryStage = { push(item, deliver) { deliver(item); } };

interface ChannelEntry {
  readonly name: string;
  readonly subs: Set<Subscriber>;
  /** Until when a response-mode subscription keeps the channel alive after its last subscriber. */
  lingerUntil: number;
  lingerTimer: WheelTimer | undefined;
}

export interface SubscriptionHubOptions {
  wheel: TimerWheel;
  log: HandlerLog;
  /** `subscription_linger` in seconds. */
  subscriptionLinger: number;
}

export class SubscriptionHub implements Hub {
  private readonly byChannel = new Map<string, ChannelEntry>();
  private readonly conns = new Map<string, Subscriber>();
  private readonly added: Array<(c: string) => void> = [];
  private readonly removed: Array<(c: string) => void> = [];
  private stage: DeliveryStage = PASS_THROUGH;
  private readonly lingerMs: number;
  private readonly deliverBound = (item: PublishItem): void => this.deliver(item);

  constructor(private readonly opts: SubscriptionHubOptions) {
    this.lingerMs = Math.max(0, opts.subscriptionLinger) * 1000;
  }

  /** Puts a stage (sequencer) in front of delivery. */
  setStage(stage: DeliveryStage): void { this.stage = stage; }

  // ---- PublishSink ----

  publish(items: PublishItem[]): void {
    for (const item of items) {
      try {
        this.stage.push(item, this.deliverBound);
      } catch (err) {
        this.opts.log.error({ err: String(err), channel: item.channel }, 'publish: delivery failed');
      }
    }
  }

  /** Fan-out of one item to the channel's subscribers, in subscription order. */
  deliver(item: PublishItem): void {
    const entry = this.byChannel.get(item.channel);
    if (!entry || entry.subs.size === 0) {
      this.opts.log.debug({ channel: item.channel, receivers: 0 }, 'publish');
      return;
    }
    const f = item.formats;
    const prepared = new PreparedItem(item);
    let receivers = 0;
    let ctx: FilterContext | undefined;
    for (const s of entry.subs) {
      switch (s.mode) {
        case 'response': if (!f.httpResponse) continue; break;
        case 'stream': if (!f.httpStream) continue; break;
        case 'ws': if (!f.wsMessage) continue; break;
      }
      const cs = s.subs.get(item.channel);
      if (!cs) continue;
      if (cs.filters.length) {
        ctx ??= { subMeta: s.meta, pubMeta: item.meta, channels: s.channelNames, prevIds: {} };
        ctx.subMeta = s.meta;
        ctx.channels = s.channelNames;
        if (applyDeliveryFilters(cs.filters, ctx) === 'drop') continue;
      }
      receivers++;
      try {
        s.deliver(prepared, cs);
      } catch (err) {
        this.opts.log.warn({ err: String(err), channel: item.channel, cid: s.cid }, 'publish: delivery to connection failed');
      }
    }
    this.opts.log.debug({ channel: item.channel, receivers }, 'publish');
  }

  // ---- sessions ----

  /** Registers a held connection; returns the one it replaces, if any. */
  addConnection(s: Subscriber): Subscriber | undefined {
    const prev = this.conns.get(s.cid);
    if (prev && prev !== s) this.removeConnection(prev);
    this.conns.set(s.cid, s);
    return prev !== s ? prev : undefined;
  }

  /** Unsubscribes every channel of `s` and forgets it. */
  removeConnection(s: Subscriber): void {
    for (const ch of s.subs.keys()) this.unsubscribe(s, ch);
    if (this.conns.get(s.cid) === s) this.conns.delete(s.cid);
  }

  connection(cid: string): Subscriber | undefined { return this.conns.get(cid); }

  subscribe(s: Subscriber, channel: string): void {
    let e = this.byChannel.get(channel);
    if (!e) {
      e = { name: channel, subs: new Set(), lingerUntil: 0, lingerTimer: undefined };
      this.byChannel.set(channel, e);
      this.emit(this.added, channel);
    } else if (e.lingerTimer) {
      this.opts.wheel.cancel(e.lingerTimer);
      e.lingerTimer = undefined;
    }
    e.subs.add(s);
  }

  unsubscribe(s: Subscriber, channel: string): void {
    const e = this.byChannel.get(channel);
    if (!e || !e.subs.delete(s)) return;
    if (s.mode === 'response' && this.lingerMs > 0) e.lingerUntil = this.opts.wheel.now() + this.lingerMs;
    if (e.subs.size === 0) this.maybeRemove(e);
  }

  subscriberCount(channel: string): number { return this.byChannel.get(channel)?.subs.size ?? 0; }

  private maybeRemove(e: ChannelEntry): void {
    if (e.subs.size > 0 || this.byChannel.get(e.name) !== e) return;
    const left = e.lingerUntil - this.opts.wheel.now();
    if (left > 0) {
      this.opts.wheel.cancel(e.lingerTimer);
      e.lingerTimer = this.opts.wheel.schedule(left, () => { e.lingerTimer = undefined; this.maybeRemove(e); });
      return;
    }
    this.byChannel.delete(e.name);
    this.emit(this.removed, e.name);
  }

  private emit(list: Array<(c: string) => void>, channel: string): void {
    for (const cb of list) {
      try { cb(channel); } catch (err) { this.opts.log.warn({ err: String(err), channel }, 'hub: channel event listener failed'); }
    }
  }

  // ---- HubState / HubEvents ----

  isConnected(cid: string): boolean { return this.conns.has(cid); }

  recover(): void {
    this.stage.reset?.();
    this.opts.log.info({ connections: this.conns.size }, 'recover: last ids cleared (retry of held sessions not supported yet)');
  }

  refresh(target: { cid: string } | { channel: string }): boolean {
    if ('cid' in target) return this.conns.has(target.cid);
    return true;
  }

  channels(): Iterable<string> { return this.byChannel.keys(); }

  connectionCount(): number { return this.conns.size; }

  onChannelAdded(cb: (channel: string) => void): void { this.added.push(cb); }
  onChannelRemoved(cb: (channel: string) => void): void { this.removed.push(cb); }

  /** Stops linger timers (shutdown). */
  close(): void {
    for (const e of this.byChannel.values()) this.opts.wheel.cancel(e.lingerTimer);
  }
}
