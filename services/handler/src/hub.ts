/**
 * The subscription hub: channel → subscribers, and the fan-out of published items to the
 * held sessions (publish.md §1–§2, §5). Items pass through a `DeliveryStage` first, the
 * place where the sequencer (publish.md §3) plugs in; the default stage delivers at once.
 */
import { applyDeliveryFilters, type FilterContext, type PublishItem } from '@pushpin-ts/grip';
import type {
  DeliveryLimiter, Hub, HubConnectionInfo, HubMode, HubStatsEvents, HubTransport,
} from './hub-api.js';
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
  /** An item for `sub` was dropped by its delivery filters (prev-id tracking still advances). */
  skipped?(p: PreparedItem, sub: ChannelSub): void;
  /** Re-fetch from the backend (next link / long-poll retry): first subscription, `recover`. */
  update?(priority: 'low' | 'high'): void;
  /** Client address, for stats `conn` packets (optional). */
  readonly peerAddress?: string | undefined;
  /** `refresh` command: WebSocket sessions ask the proxy for a WebSocket-over-HTTP request. */
  refresh?(): void;
  /** Route id: the `message_rate` / `message_hwm` bucket (optional; default ''). */
  readonly route?: string | undefined;
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
  /**
   * Fan-out plans by format mask (`formatMask`); dropped whenever a subscriber joins, leaves or
   * replaces its `ChannelSub`.
   */
  plans: Array<FanoutPlan | undefined> | undefined;
  /** Subscribers per mode (stats `sub` packets). */
  readonly modes: Record<SubscriberMode, number>;
  /** Until when a response-mode subscription keeps the channel alive after its last subscriber. */
  lingerUntil: number;
  lingerTimer: WheelTimer | undefined;
}

/**
 * Who gets an item of a given set of formats, worked out once per subscription change: a
 * channel whose subscribers have no filters sends every item of the same formats to the
 * same sessions, and the pass over them (a map lookup in each session's own memory) was the
 * costliest part of a fan-out. Arrays are never changed once built (queued fan-outs keep them).
 */
interface FanoutPlan {
  readonly targets: Subscriber[];
  readonly subsOf: ChannelSub[];
  readonly skips: boolean[];
  readonly route: string | undefined;
  readonly oneRoute: boolean;
  readonly nResponse: number;
  readonly nStream: number;
  readonly nWs: number;
}

/** Bit per format an item carries: 1 response, 2 stream, 4 ws. */
function formatMask(f: PublishItem['formats']): number {
  return (f.httpResponse ? 1 : 0) | (f.httpStream ? 2 : 0) | (f.wsMessage ? 4 : 0);
}

export interface SubscriptionHubOptions {
  wheel: TimerWheel;
  log: HandlerLog;
  /** `subscription_linger` in seconds. */
  subscriptionLinger: number;
}

export class SubscriptionHub implements Hub, HubStatsEvents {
  private readonly byChannel = new Map<string, ChannelEntry>();
  private readonly conns = new Map<string, Subscriber>();
  private readonly added: Array<(c: string) => void> = [];
  private readonly removed: Array<(c: string) => void> = [];
  private readonly connAdded: Array<(c: HubConnectionInfo) => void> = [];
  private readonly connRemoved: Array<(cid: string, mode: HubMode) => void> = [];
  private readonly subsChanged: Array<(mode: HubMode, channel: string, n: number) => void> = [];
  private readonly delivered: Array<(channel: string, id: string | undefined, t: HubTransport, n: number) => void> = [];
  private readonly droppedCbs: Array<(channel: string, cid: string, reason: string) => void> = [];
  private limiter: DeliveryLimiter | undefined;
  private stage: DeliveryStage = PASS_THROUGH;
  private readonly lingerMs: number;
  private readonly deliverBound = (item: PublishItem): void => this.deliver(item);

  constructor(private readonly opts: SubscriptionHubOptions) {
    this.lingerMs = Math.max(0, opts.subscriptionLinger) * 1000;
  }

  /** Puts a stage (sequencer) in front of delivery. */
  setStage(stage: DeliveryStage): void { this.stage = stage; }

  /** Puts a rate limiter (`message_rate` / `message_hwm`) in front of each delivery. */
  setLimiter(limiter: DeliveryLimiter | undefined): void { this.limiter = limiter; }

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
    const prepared = new PreparedItem(item);
    const plan = this.planOf(entry, item);
    const { targets, subsOf, skips, route, oneRoute } = plan;
    const limiter = this.limiter;
    // every action of the fan-out can run now: charge them at once and run them in order
    const direct = !limiter || (oneRoute && targets.length > 0 && limiter.tryCharge !== undefined && limiter.tryCharge(route!, targets.length));
    let receivers = 0;
    let nResponse = 0, nStream = 0, nWs = 0, drops = 0;
    // the whole fan-out waits for the next batch as one action (not one closure per subscriber)
    const whole = !direct && oneRoute && targets.length > 1 && limiter!.canQueueWhole !== undefined
      && limiter!.canQueueWhole(route!, targets.length)
      && limiter!.submit(route!, targets.length, () => this.deliverAll(entry, prepared, targets, subsOf, skips));
    if (whole) {
      // queued as one action: the plan has the counts
      nResponse = plan.nResponse;
      nStream = plan.nStream;
      nWs = plan.nWs;
      receivers = nResponse + nStream + nWs;
    }
    for (let i = 0; i < targets.length && !whole; i++) {
      const s = targets[i]!;
      const cs = subsOf[i]!;
      if (skips[i]) {
        // through the limiter too, so prev-id tracking sees items in publish order
        if (direct) this.skipTo(entry, s, prepared, cs);
        else limiter!.submit(s.route ?? '', 1, () => this.skipTo(entry, s, prepared, cs));
        continue;
      }
      if (direct) {
        // an earlier delivery may have ended this session (e.g. a long-poll answered twice over)
        if (!entry.subs.has(s)) continue;
        this.deliverTo(s, prepared, cs);
      } else if (!limiter!.submit(s.route ?? '', 1, () => this.deliverLater(entry, s, prepared, cs))) {
        if (drops++ === 0) {
          const r = s.route ? ` for route ${s.route}` : '';
          this.opts.log.warn({ channel: item.channel, cid: s.cid, hwm: limiter!.hwm, ...(s.route ? { route: s.route } : {}) },
            `exceeded publish hwm (${limiter!.hwm})${r}, dropping message`);
        }
        this.emitDropped(item.channel, s.cid, 'hwm');
        continue;
      }
      receivers++;
      if (s.mode === 'stream') nStream++; else if (s.mode === 'response') nResponse++; else nWs++;
    }
    if (drops > 1) this.opts.log.warn({ channel: item.channel, dropped: drops }, 'publish: deliveries dropped over the hwm');
    if (this.delivered.length) {
      if (nResponse) this.emitDelivered(item.channel, item.id, 'http-response', nResponse);
      if (nStream) this.emitDelivered(item.channel, item.id, 'http-stream', nStream);
      if (nWs) this.emitDelivered(item.channel, item.id, 'ws-message', nWs);
    }
    this.opts.log.debug({ channel: item.channel, receivers }, 'publish');
  }

  /**
   * The fan-out plan for `item`: cached per format mask until the subscriptions change, when no
   * subscriber of the channel has filters (then the item's meta cannot change who gets it).
   */
  private planOf(entry: ChannelEntry, item: PublishItem): FanoutPlan {
    const mask = formatMask(item.formats);
    const cached = entry.plans?.[mask];
    if (cached) return cached;
    const targets: Subscriber[] = [];
    const subsOf: ChannelSub[] = [];
    const skips: boolean[] = [];
    let route: string | undefined;
    let oneRoute = true;
    let filtered = false;
    let nResponse = 0, nStream = 0, nWs = 0;
    let ctx: FilterContext | undefined;
    for (const s of entry.subs) {
      switch (s.mode) {
        case 'response': if (!(mask & 1)) continue; break;
        case 'stream': if (!(mask & 2)) continue; break;
        case 'ws': if (!(mask & 4)) continue; break;
      }
      const cs = s.subs.get(item.channel);
      if (!cs) continue;
      let skip = false;
      if (cs.filters.length) {
        filtered = true;
        ctx ??= { subMeta: s.meta, pubMeta: item.meta, channels: s.channelNames, prevIds: {} };
        ctx.subMeta = s.meta;
        ctx.channels = s.channelNames;
        if (applyDeliveryFilters(cs.filters, ctx) === 'drop') {
          if (!s.skipped) continue;
          skip = true;
        }
      }
      const r = s.route ?? '';
      if (route === undefined) route = r;
      else if (r !== route) oneRoute = false;
      targets.push(s);
      subsOf.push(cs);
      skips.push(skip);
      if (!skip) {
        if (s.mode === 'stream') nStream++; else if (s.mode === 'response') nResponse++; else nWs++;
      }
    }
    const plan: FanoutPlan = { targets, subsOf, skips, route, oneRoute, nResponse, nStream, nWs };
    if (!filtered) (entry.plans ??= [])[mask] = plan;
    return plan;
  }

  /** A fan-out that waited for its batch: each subscriber still on the channel gets it, in order. */
  private deliverAll(entry: ChannelEntry, prepared: PreparedItem, targets: Subscriber[], subsOf: ChannelSub[], skips: boolean[]): void {
    for (let i = 0; i < targets.length; i++) {
      const s = targets[i]!;
      if (skips[i]) this.skipTo(entry, s, prepared, subsOf[i]!);
      else this.deliverLater(entry, s, prepared, subsOf[i]!);
    }
  }

  /** An item the filters dropped for `s`: its prev-id tracking still sees it (if `s` is still subscribed). */
  private skipTo(entry: ChannelEntry, s: Subscriber, prepared: PreparedItem, cs: ChannelSub): void {
    if (!entry.subs.has(s)) return;
    try { s.skipped!(prepared, cs); } catch (err) { this.opts.log.warn({ err: String(err), channel: prepared.item.channel, cid: s.cid }, 'publish: skip handling failed'); }
  }

  private deliverTo(s: Subscriber, prepared: PreparedItem, cs: ChannelSub): void {
    try {
      s.deliver(prepared, cs);
    } catch (err) {
      this.opts.log.warn({ err: String(err), channel: prepared.item.channel, cid: s.cid }, 'publish: delivery to connection failed');
    }
  }

  /** A rate-limited delivery: only if the subscriber is still on the channel. */
  private deliverLater(entry: ChannelEntry, s: Subscriber, prepared: PreparedItem, cs: ChannelSub): void {
    if (entry.subs.has(s)) { this.deliverTo(s, prepared, cs); return; }
    // the session was replaced meanwhile (a retried long-poll held again under the same cid)
    const now = this.conns.get(s.cid);
    const channel = prepared.item.channel;
    const cur = now && now !== s ? this.byChannel.get(channel) : undefined;
    const ncs = cur && cur.subs.has(now!) ? now!.subs.get(channel) : undefined;
    if (ncs) this.deliverTo(now!, prepared, ncs);
  }

  /** Reports a delivery dropped elsewhere (e.g. a full session queue) to stats and metrics. */
  reportDropped(channel: string, cid: string, reason: string): void { this.emitDropped(channel, cid, reason); }

  // ---- sessions ----

  /** Registers a held connection; returns the one it replaces, if any. */
  addConnection(s: Subscriber): Subscriber | undefined {
    const prev = this.conns.get(s.cid);
    if (prev && prev !== s) this.removeConnection(prev);
    this.conns.set(s.cid, s);
    if (prev !== s) {
      const info: HubConnectionInfo = { cid: s.cid, mode: s.mode, ...(s.peerAddress !== undefined ? { peerAddress: s.peerAddress } : {}) };
      for (const cb of this.connAdded) this.safe(() => cb(info), s.cid);
    }
    return prev !== s ? prev : undefined;
  }

  /** Unsubscribes every channel of `s` and forgets it. */
  removeConnection(s: Subscriber): void {
    for (const ch of s.subs.keys()) this.unsubscribe(s, ch);
    if (this.conns.get(s.cid) === s) {
      this.conns.delete(s.cid);
      for (const cb of this.connRemoved) this.safe(() => cb(s.cid, s.mode), s.cid);
    }
  }

  connection(cid: string): Subscriber | undefined { return this.conns.get(cid); }

  subscribe(s: Subscriber, channel: string): void {
    let e = this.byChannel.get(channel);
    if (!e) {
      e = { name: channel, subs: new Set(), plans: undefined, modes: { response: 0, stream: 0, ws: 0 }, lingerUntil: 0, lingerTimer: undefined };
      this.byChannel.set(channel, e);
      this.emit(this.added, channel);
    } else if (e.lingerTimer) {
      this.opts.wheel.cancel(e.lingerTimer);
      e.lingerTimer = undefined;
    }
    // a session subscribing again may bring a new ChannelSub (filters, prev-id): plans are redone
    e.plans = undefined;
    if (e.subs.has(s)) return;
    e.subs.add(s);
    this.emitSubscribers(s.mode, channel, ++e.modes[s.mode]);
  }

  unsubscribe(s: Subscriber, channel: string): void {
    const e = this.byChannel.get(channel);
    if (!e || !e.subs.delete(s)) return;
    // dropped at once: a plan must not keep a session that left alive
    e.plans = undefined;
    this.emitSubscribers(s.mode, channel, --e.modes[s.mode]);
    if (s.mode === 'response' && this.lingerMs > 0) e.lingerUntil = this.opts.wheel.now() + this.lingerMs;
    if (e.subs.size === 0) this.maybeRemove(e);
  }

  subscriberCount(channel: string): number { return this.byChannel.get(channel)?.subs.size ?? 0; }

  /** The channel is subscribed (or lingering after its last response-mode subscriber). */
  hasChannel(channel: string): boolean { return this.byChannel.has(channel); }

  /** Current subscribers of a channel (a copy, safe to iterate while sessions change). */
  subscribersOf(channel: string): Subscriber[] { return [...(this.byChannel.get(channel)?.subs ?? [])]; }

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

  private safe(fn: () => void, what: string): void {
    try { fn(); } catch (err) { this.opts.log.warn({ err: String(err), what }, 'hub: stats listener failed'); }
  }

  private emitSubscribers(mode: HubMode, channel: string, n: number): void {
    for (const cb of this.subsChanged) this.safe(() => cb(mode, channel, n), channel);
  }

  private emitDelivered(channel: string, id: string | undefined, t: HubTransport, n: number): void {
    for (const cb of this.delivered) this.safe(() => cb(channel, id, t, n), channel);
  }

  private emitDropped(channel: string, cid: string, reason: string): void {
    for (const cb of this.droppedCbs) this.safe(() => cb(channel, cid, reason), channel);
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
    let updated = 0;
    for (const s of [...this.conns.values()]) {
      if (!s.update) continue;
      updated++;
      try { s.update('low'); } catch (err) { this.opts.log.warn({ err: String(err), cid: s.cid }, 'recover: session update failed'); }
    }
    this.opts.log.info({ connections: this.conns.size, updated }, 'recover: last ids cleared, HTTP sessions updated');
  }

  refresh(target: { cid: string } | { channel: string }): boolean {
    if ('cid' in target) {
      const s = this.conns.get(target.cid);
      if (!s) return false;
      this.refreshOne(s);
      return true;
    }
    for (const s of this.subscribersOf(target.channel)) this.refreshOne(s);
    return true;
  }

  private refreshOne(s: Subscriber): void {
    try { s.refresh?.(); } catch (err) { this.opts.log.warn({ err: String(err), cid: s.cid }, 'refresh: session refresh failed'); }
  }

  channels(): Iterable<string> { return this.byChannel.keys(); }

  connectionCount(): number { return this.conns.size; }

  onChannelAdded(cb: (channel: string) => void): void { this.added.push(cb); }
  onChannelRemoved(cb: (channel: string) => void): void { this.removed.push(cb); }
  onConnectionAdded(cb: (c: HubConnectionInfo) => void): void { this.connAdded.push(cb); }
  onConnectionRemoved(cb: (cid: string, mode: HubMode) => void): void { this.connRemoved.push(cb); }
  onSubscribers(cb: (mode: HubMode, channel: string, subscribers: number) => void): void { this.subsChanged.push(cb); }
  onDelivered(cb: (channel: string, itemId: string | undefined, transport: HubTransport, count: number) => void): void { this.delivered.push(cb); }
  onDropped(cb: (channel: string, cid: string, reason: string) => void): void { this.droppedCbs.push(cb); }

  /** Stops linger timers (shutdown). */
  close(): void {
    for (const e of this.byChannel.values()) this.opts.wheel.cancel(e.lingerTimer);
    this.limiter?.close();
  }
}
