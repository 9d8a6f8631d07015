/**
 * The publish sequencer (publish.md §3): duplicate suppression by `(channel, id)` within
 * `id_cache_ttl`, then ordering by `prev-id` for channels that have subscribers. An item whose
 * `prev-id` does not follow the channel's last id waits (keyed by its prev-id) until the item
 * it depends on is delivered, or `message_wait` ms pass; then it is delivered anyway, and the
 * held sessions' own prev-id checks start recovery (grip.md §9).
 */
import type { PublishItem } from '@pushpin-ts/grip';
import type { DeliveryStage } from '../hub.js';
import type { HandlerLog } from '../log.js';
import type { TimerWheel, WheelTimer } from '../timer-wheel.js';
import type { LastIds } from './last-ids.js';

/** Pending items per channel (Pushpin's CHANNEL_PENDING_MAX); more are dropped. */
export const CHANNEL_PENDING_MAX = 100;
/** How often pending items are checked for expiry (ms). */
export const EXPIRE_INTERVAL_MS = 1000;
/** Bound on remembered ids for duplicate suppression. */
export const ID_CACHE_MAX = 1_000_000;

export interface SequencerOptions {
  wheel: TimerWheel;
  log: HandlerLog;
  lastIds: LastIds;
  /** `message_wait` (ms): how long an out-of-order item waits for its predecessor. */
  waitMs: number;
  /** `id_cache_ttl` (s); 0 or less disables duplicate suppression. */
  idCacheTtl: number;
  /** Whether the channel currently has subscribers (sequencing only applies then). */
  hasSubscribers(channel: string): boolean;
}

interface Pending {
  item: PublishItem;
  time: number;
  deliver: (item: PublishItem) => void;
}

export class Sequencer implements DeliveryStage {
  /** `channel \0 id` → expiry time; insertion order is expiry order (constant TTL). */
  private readonly idCache = new Map<string, number>();
  /** channel → prev-id → pending item. */
  private readonly pending = new Map<string, Map<string, Pending>>();
  /** Every pending item in arrival order (for expiry). */
  private readonly byTime = new Set<Pending>();
  private expireTimer: WheelTimer | undefined;
  /** channel → items dropped because its pending set was full (one warning per episode). */
  private readonly overflow = new Map<string, number>();

  constructor(private readonly opts: SequencerOptions) {}

  /** Number of items waiting for their predecessor (all channels). */
  get pendingCount(): number { return this.byTime.size; }

  push(item: PublishItem, deliver: (item: PublishItem) => void): void {
    const now = this.opts.wheel.now();
    if (this.isDuplicate(item, now)) {
      this.opts.log.debug({ channel: item.channel, id: item.id }, 'sequencer: duplicate id, dropping');
      return;
    }
    const seq = !item.noSeq && this.opts.hasSubscribers(item.channel);
    if (!seq) { deliver(item); return; }

    const lastId = this.opts.lastIds.get(item.channel);
    if (lastId !== undefined && item.prevId !== undefined && lastId !== item.prevId) {
      let ch = this.pending.get(item.channel);
      if (!ch) { ch = new Map(); this.pending.set(item.channel, ch); }
      if (ch.has(item.prevId)) {
        this.opts.log.debug({ channel: item.channel, prevId: item.prevId }, 'sequencer: already have an item depending on this prev-id, dropping');
        return;
      }
      if (ch.size >= CHANNEL_PENDING_MAX) {
        const n = (this.overflow.get(item.channel) ?? 0) + 1;
        this.overflow.set(item.channel, n);
        if (n === 1) this.opts.log.warn({ channel: item.channel, id: item.id, pending: ch.size }, 'sequencer: too many pending items for channel, dropping');
        else this.opts.log.debug({ channel: item.channel, id: item.id }, 'sequencer: too many pending items for channel, dropping');
        return;
      }
      const p: Pending = { item, time: now, deliver };
      ch.set(item.prevId, p);
      this.byTime.add(p);
      this.expireTimer ??= this.opts.wheel.schedule(EXPIRE_INTERVAL_MS, () => this.expire());
      return;
    }
    this.send(item, deliver);
  }

  /** `recover`: forget every last id (pending items stay and expire normally). */
  reset(): void { this.opts.lastIds.clear(); }

  /** The channel lost its last subscriber: forget its pending items and last id. */
  clearChannel(channel: string): void {
    const ch = this.pending.get(channel);
    if (ch) {
      for (const p of ch.values()) this.byTime.delete(p);
      this.pending.delete(channel);
    }
    this.opts.lastIds.delete(channel);
    this.overflow.delete(channel);
    this.stopTimerIfIdle();
  }

  close(): void {
    this.opts.wheel.cancel(this.expireTimer);
    this.expireTimer = undefined;
  }

  private isDuplicate(item: PublishItem, now: number): boolean {
    const ttl = this.opts.idCacheTtl;
    if (ttl <= 0) return false;
    for (const [k, exp] of this.idCache) {
      if (exp > now) break;
      this.idCache.delete(k);
    }
    if (item.id === undefined) return false;
    const key = `${item.channel}\0${item.id}`;
    if (this.idCache.has(key)) return true;
    this.idCache.set(key, now + ttl * 1000);
    if (this.idCache.size > ID_CACHE_MAX) {
      const oldest = this.idCache.keys().next().value;
      if (oldest !== undefined) this.idCache.delete(oldest);
    }
    return false;
  }

  private send(item: PublishItem, deliver: (item: PublishItem) => void): void {
    this.record(item);
    deliver(item);
    const ch = this.pending.get(item.channel);
    if (!ch) return;
    let id = item.id;
    // release the chain of items that were waiting for this one
    while (id !== undefined && ch.size > 0) {
      const p = ch.get(id);
      if (!p) break;
      ch.delete(id);
      this.byTime.delete(p);
      this.record(p.item);
      p.deliver(p.item);
      id = p.item.id;
    }
    if (ch.size === 0 && this.pending.get(item.channel) === ch) this.pending.delete(item.channel);
    this.endOverflow(item.channel);
    this.stopTimerIfIdle();
  }

  /** The channel's pending set has room again: sum up what was dropped. */
  private endOverflow(channel: string): void {
    const n = this.overflow.get(channel);
    if (n === undefined || (this.pending.get(channel)?.size ?? 0) >= CHANNEL_PENDING_MAX) return;
    this.overflow.delete(channel);
    this.opts.log.warn({ channel, dropped: n }, 'sequencer: items were dropped while the channel waited for a missing item');
  }

  private record(item: PublishItem): void {
    if (item.id !== undefined) this.opts.lastIds.set(item.channel, item.id);
    else this.opts.lastIds.delete(item.channel);
  }

  private expire(): void {
    this.expireTimer = undefined;
    const threshold = this.opts.wheel.now() - this.opts.waitMs;
    for (const p of this.byTime) {
      if (p.time > threshold) break;
      this.byTime.delete(p);
      const ch = this.pending.get(p.item.channel);
      if (ch && p.item.prevId !== undefined && ch.get(p.item.prevId) === p) {
        ch.delete(p.item.prevId);
        if (ch.size === 0) this.pending.delete(p.item.channel);
      }
      this.opts.log.debug({ channel: p.item.channel, id: p.item.id, prevId: p.item.prevId }, 'sequencer: timing out pending item, delivering out of order');
      try {
        this.send(p.item, p.deliver);
      } catch (err) {
        this.opts.log.error({ err: String(err), channel: p.item.channel }, 'sequencer: delivery failed');
      }
    }
    if (this.byTime.size > 0 && !this.expireTimer) this.expireTimer = this.opts.wheel.schedule(EXPIRE_INTERVAL_MS, () => this.expire());
  }

  private stopTimerIfIdle(): void {
    if (this.byTime.size === 0 && this.expireTimer) {
      this.opts.wheel.cancel(this.expireTimer);
      this.expireTimer = undefined;
    }
  }
}
