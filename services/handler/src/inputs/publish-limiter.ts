/**
 * `message_rate` / `message_hwm` (publish.md §5): every (item × subscriber) delivery is one
 * action of weight 1 (or more with `message_block_size`). Actions run at most `rate` per
 * second, in batches at least `intervalMs` apart, round-robin across buckets (routes); a
 * bucket holding `hwm` queued deliveries refuses more (the caller drops and logs).
 */

import type { DeliveryLimiter } from '../hub-api.js';

export interface PublishLimiterOptions {
  /** Actions per second; <= 0 means unlimited (every action runs at once, nothing queues). */
  rate: number;
  /** Max queued deliveries (action weight) per bucket; <= 0 means no limit. */
  hwm: number;
  /** Minimum time between batches (ms); default 25. */
  intervalMs?: number;
  /**
   * Longest time between batches (ms) when batches keep coming back to back: each batch that
   * ran several actions doubles the interval up to this; an idle moment or a batch of one
   * action brings it back to `intervalMs`. Default `intervalMs` (fixed interval).
   */
  maxIntervalMs?: number;
  /**
   * Deliveries (action weight) a batch must have run for the interval to grow (default 0):
   * a lightly loaded handler keeps the short interval, whatever the number of publishes.
   */
  growAboveWeight?: number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
  /** Runs a callback at the end of the current event-loop turn; default setImmediate. */
  endOfTurn?: (fn: () => void) => void;
  /** Called when a queued action throws. */
  onError?: (err: unknown) => void;
}

interface Action { weight: number; run: () => void }
interface Bucket { actions: Action[]; weight: number }

/**
 * A token bucket refilled at `rate`/s holding at most one batch (`rate × intervalMs`, at
 * least 1). An action runs synchronously when its bucket has nothing queued, tokens are
 * available and no batch ran during the last `intervalMs` (actions of the same event-loop turn
 * as a run belong to it); otherwise it queues (order is kept per bucket) for the next batch.
 * Pushpin always waits for the next batch; running at once when idle keeps its batching under
 * load (a session then takes the items of several publishes in one write) without its
 * latency when idle.
 * @example const l = new PublishLimiter({ rate: 2500, hwm: 25000 }); l.submit('', 1, () => send());
 */
export class PublishLimiter implements DeliveryLimiter {
  readonly rate: number;
  readonly hwm: number;
  /** Tokens one batch can spend (grows with the interval). */
  cap: number;
  private readonly intervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly growAboveWeight: number;
  /** The interval between batches now (`intervalMs` .. `maxIntervalMs`). */
  private interval: number;
  private readonly now: () => number;
  private readonly endOfTurn: (fn: () => void) => void;
  private tokens: number;
  private last: number;
  private readonly queues = new Map<string, Bucket>();
  /** Buckets with queued actions, in round-robin order. */
  private ring: string[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Immediate runs are allowed until the end of the current event-loop turn. */
  private turnOpen = false;
  /** When actions last ran (an immediate turn or a batch), on `now`'s clock. */
  private lastRun = Number.NEGATIVE_INFINITY;
  private readonly closeTurn = (): void => { this.turnOpen = false; };
  /** Actions queued right now (all buckets). */
  queued = 0;

  constructor(private readonly o: PublishLimiterOptions) {
    this.rate = o.rate;
    this.hwm = o.hwm;
    this.intervalMs = Math.max(1, o.intervalMs ?? 25);
    this.maxIntervalMs = Math.max(this.intervalMs, o.maxIntervalMs ?? this.intervalMs);
    this.growAboveWeight = Math.max(0, o.growAboveWeight ?? 0);
    this.interval = this.intervalMs;
    this.now = o.now ?? Date.now;
    this.endOfTurn = o.endOfTurn ?? ((fn) => { setImmediate(fn); });
    this.cap = this.capFor(this.interval);
    this.tokens = this.cap;
    this.last = this.now();
  }

  get limited(): boolean { return this.rate > 0; }

  submit(bucket: string, weight: number, run: () => void): boolean {
    if (this.closed) return false;
    if (this.rate <= 0) { run(); return true; }
    let q = this.queues.get(bucket);
    // an action heavier than a full batch still runs once the bucket is full
    if (this.chargeNow(q, weight, true)) {
      run();
      return true;
    }
    if (!this.hasRoom(q, weight)) return false;
    if (!q) { q = { actions: [], weight: 0 }; this.queues.set(bucket, q); }
    if (q.actions.length === 0) this.ring.push(bucket);
    q.actions.push({ weight, run });
    q.weight += weight;
    this.queued++;
    this.schedule();
    return true;
  }

  tryCharge(bucket: string, weight: number): boolean {
    if (this.closed) return false;
    if (this.rate <= 0) return true;
    // several actions charged together: no exception for heavy ones, the tokens must cover them
    return this.chargeNow(this.queues.get(bucket), weight, false);
  }

  /**
   * Whether `weight` deliveries could wait in `bucket` as one action: it fits one batch and
   * the bucket's high-water mark.
   */
  canQueueWhole(bucket: string, weight: number): boolean {
    return this.rate > 0 && weight <= this.cap && this.hasRoom(this.queues.get(bucket), weight);
  }

  /** The interval between batches now (ms). */
  get currentIntervalMs(): number { return this.interval; }

  /** Runs one batch now (the timer calls this; tests may too). */
  processBatch(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.refill();
    if (this.ring.length > 0) this.lastRun = this.now();
    let ran = 0;
    let ranWeight = 0;
    while (this.ring.length > 0) {
      if (this.next >= this.ring.length) this.next = 0;
      const key = this.ring[this.next]!;
      const q = this.queues.get(key)!;
      const a = q.actions[0]!;
      // an action heavier than a full batch still runs once the bucket is full
      if (this.tokens < a.weight && !(this.tokens >= this.cap && a.weight > this.cap)) break;
      this.tokens -= a.weight;
      ran++;
      ranWeight += a.weight;
      q.actions.shift();
      q.weight -= a.weight;
      this.queued--;
      if (q.actions.length === 0) {
        this.ring.splice(this.next, 1);
        this.queues.delete(key);
      } else {
        this.next++;
      }
      try { a.run(); } catch (err) { this.o.onError?.(err); }
    }
    this.adapt(ran, ranWeight);
    if (this.ring.length > 0) this.schedule();
  }

  /**
   * Heavy fan-outs arriving faster than batches run (several actions and at least
   * `growAboveWeight` deliveries per batch): the next batch waits twice as long, so each
   * session takes more items per write (fewer, larger client writes), but never so long that
   * a batch's deliveries would near the high-water mark. A batch of one action, or a light
   * one, means the load has eased.
   */
  private adapt(ran: number, weight: number): void {
    if (this.maxIntervalMs === this.intervalMs) return;
    const busy = ran > 1 && weight >= this.growAboveWeight;
    const roomy = this.hwm <= 0 || weight * 4 < this.hwm;
    this.changeInterval(busy && roomy ? Math.min(this.maxIntervalMs, this.interval * 2) : this.intervalMs);
  }

  private changeInterval(ms: number): void {
    if (ms === this.interval) return;
    this.interval = ms;
    this.cap = this.capFor(ms);
    this.tokens = Math.min(this.tokens, this.cap);
  }

  private capFor(intervalMs: number): number { return Math.max(1, (this.rate * intervalMs) / 1000); }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queues.clear();
    this.ring = [];
    this.queued = 0;
  }

  /**
   * Takes `weight` tokens if the action may run now: nothing queued in its bucket, enough
   * tokens (or, with `heavy`, a full bucket for an action heavier than a batch) and
   * `mayRunNow`. False changes nothing.
   */
  private chargeNow(q: Bucket | undefined, weight: number, heavy: boolean): boolean {
    if (q && q.actions.length > 0) return false;
    this.refill();
    const covered = this.tokens >= weight || (heavy && this.tokens >= this.cap && weight > this.cap);
    if (!covered || !this.mayRunNow()) return false;
    this.tokens -= weight;
    return true;
  }

  private hasRoom(q: Bucket | undefined, weight: number): boolean {
    return this.hwm <= 0 || q === undefined || q.weight + weight <= this.hwm;
  }

  /**
   * Whether actions may run right away: the last run was at least one interval ago (or it
   * was in this same event-loop turn).
   */
  private mayRunNow(): boolean {
    if (this.turnOpen) return true;
    const t = this.now();
    if (t - this.lastRun < this.interval) return false;
    // quiet for a whole interval: back to the short one
    this.changeInterval(this.intervalMs);
    this.lastRun = t;
    this.turnOpen = true;
    this.endOfTurn(this.closeTurn);
    return true;
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.cap, this.tokens + ((t - this.last) * this.rate) / 1000);
      this.last = t;
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    // the next batch is due one interval after the last run
    const wait = Math.min(this.interval, Math.max(1, this.lastRun + this.interval - this.now()));
    this.timer = setTimeout(() => this.processBatch(), wait);
    this.timer.unref?.();
  }
}
