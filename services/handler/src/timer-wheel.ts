/**
 * One shared timer for every held session (Grip-Timeout, keep-alives, subscription linger):
 * timers are hashed into buckets of `tickMs`; one interval walks the due buckets. Scheduling
 * and cancelling are O(1), so 100k held connections cost one wakeup per tick, not 100k
 * setTimeouts. Timers never fire early and at most about one tick late.
 */

export interface WheelTimer {
  /** Absolute time (ms, wheel clock) at which the timer becomes due. */
  readonly due: number;
  /** False once fired or cancelled. */
  readonly active: boolean;
}

class Entry implements WheelTimer {
  bucket: Set<Entry> | null = null;
  constructor(readonly due: number, readonly tick: number, readonly cb: () => void) {}
  get active(): boolean { return this.bucket !== null; }
}

export interface TimerWheelOptions {
  tickMs?: number;
  /** Clock in ms; tests pass a fake one and call `advance()` themselves. */
  clock?: () => number;
  /** A callback threw; the wheel keeps going. */
  onError?: (err: unknown) => void;
}

const MAX_TICK_LOOP = 10_000;

export class TimerWheel {
  readonly tickMs: number;
  private readonly clock: () => number;
  private readonly onError: (err: unknown) => void;
  private readonly buckets = new Map<number, Set<Entry>>();
  private current: number;
  private interval: NodeJS.Timeout | undefined;
  private count = 0;

  /** The clock as read by this run of synchronous code (`turnNow`); undefined: read it again. */
  private turnTime: number | undefined;
  private readonly cachesTurnTime: boolean;
  private readonly endTurn = (): void => { this.turnTime = undefined; };

  constructor(opts: TimerWheelOptions = {}) {
    this.tickMs = opts.tickMs ?? 100;
    this.clock = opts.clock ?? Date.now;
    this.cachesTurnTime = opts.clock === undefined;
    this.onError = opts.onError ?? (() => undefined);
    this.current = Math.floor(this.clock() / this.tickMs);
  }

  now(): number { return this.clock(); }

  /**
   * The clock read once per run of synchronous code (one callback of the event loop, up to
   * its microtasks): a fan-out stamps every session it writes, and one clock read serves them
   * all. Not longer: a reading kept until the next turn could be seconds old for an I/O
   * callback after an idle wait. A test clock is read every time.
   */
  turnNow(): number {
    if (!this.cachesTurnTime) return this.clock();
    if (this.turnTime === undefined) {
      this.turnTime = this.clock();
      queueMicrotask(this.endTurn);
    }
    return this.turnTime;
  }

  /** Number of pending timers. */
  get size(): number { return this.count; }

  /** Calls `cb` once, `delayMs` from now. */
  schedule(delayMs: number, cb: () => void): WheelTimer {
    const due = this.clock() + Math.max(0, delayMs);
    const tick = Math.max(Math.ceil(due / this.tickMs), this.current + 1);
    const e = new Entry(due, tick, cb);
    let b = this.buckets.get(tick);
    if (!b) { b = new Set(); this.buckets.set(tick, b); }
    b.add(e);
    e.bucket = b;
    this.count++;
    return e;
  }

  /** Cancels a pending timer; no-op for fired, cancelled or undefined timers. */
  cancel(t: WheelTimer | undefined): void {
    if (!t) return;
    const e = t as Entry;
    const b = e.bucket;
    if (!b) return;
    b.delete(e);
    e.bucket = null;
    this.count--;
    if (b.size === 0 && this.buckets.get(e.tick) === b) this.buckets.delete(e.tick);
  }

  /** Fires every timer due at `now` (wheel clock by default). */
  advance(now = this.clock()): void {
    const target = Math.floor(now / this.tickMs);
    if (target <= this.current) return;
    if (target - this.current > MAX_TICK_LOOP) {
      // long gap (suspended process, fake clock): visit only the non-empty buckets
      const ticks = [...this.buckets.keys()].filter((k) => k <= target).sort((a, b) => a - b);
      for (const k of ticks) { this.current = k; this.fire(k); }
      this.current = target;
      return;
    }
    while (this.current < target) {
      this.current++;
      if (this.buckets.size) this.fire(this.current);
    }
  }

  private fire(tick: number): void {
    const b = this.buckets.get(tick);
    if (!b) return;
    this.buckets.delete(tick);
    for (const e of b) {
      e.bucket = null;
      this.count--;
      try { e.cb(); } catch (err) { this.onError(err); }
    }
  }

  start(): void {
    if (this.interval) return;
    this.interval = setInterval(() => this.advance(), this.tickMs);
    this.interval.unref();
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
  }
}
