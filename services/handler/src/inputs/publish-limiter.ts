/**
 * `message_rate` / `message_hwm` (publish.md §5): every (item × subscriber) delivery is one
 * action of weight 1 (or more with `message_block_size`). Actions run at most `rate` per
 * second, in batches at least `intervalMs` apart, round-robin across buckets (routes); a
 * bucket holding `hwm` queued actions refuses more (the caller drops and logs).
 */

import type { DeliveryLimiter } from '../hub-api.js';

export interface PublishLimiterOptions {
  /** Actions per second; <= 0 means unlimited (every action runs at once, nothing queues). */
  rate: number;
  /** Max queued actions per bucket; <= 0 means no limit. */
  hwm: number;
  /** Minimum time between batches (ms); default 25. */
  intervalMs?: number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
  /** Called when a queued action throws. */
  onError?: (err: unknown) => void;
}

interface Action { weight: number; run: () => void }

/**
 * A token bucket refilled at `rate`/s holding at most one batch (`rate × intervalMs`, at
 * least 1). An action runs synchronously when its bucket has nothing queued and tokens are
 * available, otherwise it queues (order is kept per bucket).
 * @example const l = new PublishLimiter({ rate: 2500, hwm: 25000 }); l.submit('', 1, () => send());
 */
export class PublishLimiter implements DeliveryLimiter {
  readonly rate: number;
  readonly hwm: number;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly cap: number;
  private tokens: number;
  private last: number;
  private readonly queues = new Map<string, Action[]>();
  /** Buckets with queued actions, in round-robin order. */
  private ring: string[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Actions queued right now (all buckets). */
  queued = 0;

  constructor(private readonly o: PublishLimiterOptions) {
    this.rate = o.rate;
    this.hwm = o.hwm;
    this.intervalMs = Math.max(1, o.intervalMs ?? 25);
    this.now = o.now ?? Date.now;
    this.cap = Math.max(1, (this.rate * this.intervalMs) / 1000);
    this.tokens = this.cap;
    this.last = this.now();
  }

  get limited(): boolean { return this.rate > 0; }

  submit(bucket: string, weight: number, run: () => void): boolean {
    if (this.closed) return false;
    if (this.rate <= 0) { run(); return true; }
    let q = this.queues.get(bucket);
    if (!q || q.length === 0) {
      this.refill();
      if (this.tokens >= weight || (this.tokens >= this.cap && weight > this.cap)) {
        this.tokens -= weight;
        run();
        return true;
      }
    }
    if (this.hwm > 0 && q !== undefined && q.length >= this.hwm) return false;
    if (!q) { q = []; this.queues.set(bucket, q); }
    if (q.length === 0) this.ring.push(bucket);
    q.push({ weight, run });
    this.queued++;
    this.schedule();
    return true;
  }

  tryCharge(bucket: string, weight: number): boolean {
    if (this.closed) return false;
    if (this.rate <= 0) return true;
    const q = this.queues.get(bucket);
    if (q && q.length > 0) return false;
    this.refill();
    if (this.tokens < weight) return false;
    this.tokens -= weight;
    return true;
  }

  /** Runs one batch now (the timer calls this; tests may too). */
  processBatch(): void {
    this.timer = undefined;
    if (this.closed) return;
    this.refill();
    while (this.ring.length > 0) {
      if (this.next >= this.ring.length) this.next = 0;
      const key = this.ring[this.next]!;
      const q = this.queues.get(key)!;
      const a = q[0]!;
      // an action heavier than a full batch still runs once the bucket is full
      if (this.tokens < a.weight && !(this.tokens >= this.cap && a.weight > this.cap)) break;
      this.tokens -= a.weight;
      q.shift();
      this.queued--;
      if (q.length === 0) {
        this.ring.splice(this.next, 1);
        this.queues.delete(key);
      } else {
        this.next++;
      }
      try { a.run(); } catch (err) { this.o.onError?.(err); }
    }
    if (this.ring.length > 0) this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queues.clear();
    this.ring = [];
    this.queued = 0;
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
    this.timer = setTimeout(() => this.processBatch(), this.intervalMs);
    this.timer.unref?.();
  }
}
