/**
 * Low-priority session updates (next-link refetches, long-poll retries) triggered by timeouts,
 * prev-id conflicts and first subscriptions are rate-limited like Pushpin's update limiter
 * (grip.md §8): actions keyed by URI run at most `rate` per second, each batching up to
 * `batchMax` sessions that wait for the same key.
 */
import type { HandlerLog } from '../log.js';
import type { TimerWheel, WheelTimer } from '../timer-wheel.js';

export interface Updatable {
  /** Runs the update now (the limiter's turn came). */
  doUpdate(): void;
}

interface Action {
  readonly key: string;
  readonly sessions: Set<Updatable>;
}

export const UPDATES_PER_SECOND = 10;
export const UPDATES_PER_ACTION_MAX = 100;

export class UpdateLimiter {
  private readonly queue: Action[] = [];
  private readonly lastByKey = new Map<string, Action>();
  private readonly actionOf = new Map<Updatable, Action>();
  private timer: WheelTimer | undefined;
  private lastRun = -Infinity;
  private readonly interval: number;

  constructor(private readonly wheel: TimerWheel, private readonly log: HandlerLog, rate = UPDATES_PER_SECOND, private readonly batchMax = UPDATES_PER_ACTION_MAX) {
    this.interval = 1000 / Math.max(1, rate);
  }

  /** Sessions waiting for their turn. */
  get waiting(): number { return this.actionOf.size; }

  add(key: string, s: Updatable): void {
    if (this.actionOf.has(s)) return;
    let a = this.lastByKey.get(key);
    if (!a || a.sessions.size >= this.batchMax) {
      a = { key, sessions: new Set() };
      this.queue.push(a);
      this.lastByKey.set(key, a);
    }
    a.sessions.add(s);
    this.actionOf.set(s, a);
    this.arm();
  }

  /** Forgets a waiting session (it was updated some other way or went away). */
  remove(s: Updatable): void {
    const a = this.actionOf.get(s);
    if (!a) return;
    this.actionOf.delete(s);
    a.sessions.delete(s);
  }

  close(): void { this.wheel.cancel(this.timer); this.timer = undefined; }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = this.lastRun + this.interval - this.wheel.now();
    // idle limiter: run now rather than a wheel tick later (first-subscription retries race publishes)
    if (wait <= 0) { this.runOne(); return; }
    this.timer = this.wheel.schedule(wait, () => { this.timer = undefined; this.runOne(); });
  }

  private runOne(): void {
    // skip actions whose sessions all went away
    let a: Action | undefined;
    while ((a = this.queue.shift()) && a.sessions.size === 0) {
      if (this.lastByKey.get(a.key) === a) this.lastByKey.delete(a.key);
    }
    if (a) {
      if (this.lastByKey.get(a.key) === a) this.lastByKey.delete(a.key);
      this.lastRun = this.wheel.now();
      for (const s of a.sessions) {
        this.actionOf.delete(s);
        try { s.doUpdate(); } catch (err) { this.log.error({ err: String(err), key: a.key }, 'session update failed'); }
      }
    }
    this.arm();
  }
}
