/**
 * Next-link timeouts (grip.md §8 `timeout`), bucketed like Pushpin's session update manager:
 * sessions whose links share the timeout and the URI without its query share one timer, so
 * their refetches happen together (and collapse into one request). A session that saw
 * activity on all its channels is "deferred": it stays for the next period instead of
 * refetching.
 */
import type { TimerWheel, WheelTimer } from '../timer-wheel.js';

export interface LinkTimed {
  update(priority: 'low' | 'high'): void;
}

interface Bucket {
  readonly key: string;
  readonly periodMs: number;
  sessions: Set<LinkTimed>;
  deferred: Set<LinkTimed>;
  timer: WheelTimer | undefined;
}

function withoutQuery(uri: string): string {
  const q = uri.search(/[?#]/);
  return q === -1 ? uri : uri.slice(0, q);
}

export class LinkTimers {
  private readonly buckets = new Map<string, Bucket>();
  private readonly bySession = new Map<LinkTimed, Bucket>();

  constructor(private readonly wheel: TimerWheel) {}

  /** Sessions with a pending next-link timeout. */
  get size(): number { return this.bySession.size; }

  /**
   * (Re)registers a session's next-link timeout. With `reset`, a session already waiting in
   * that bucket skips the coming expiry (its channels were all active).
   */
  register(s: LinkTimed, timeoutSec: number, uri: string, reset = false): void {
    const key = `${timeoutSec}|${withoutQuery(uri)}`;
    const b = this.buckets.get(key);
    if (b) {
      if (b.sessions.has(s)) {
        if (reset) b.deferred.add(s);
        return;
      }
      this.unregister(s);
      b.sessions.add(s);
      this.bySession.set(s, b);
      return;
    }
    this.unregister(s);
    const nb: Bucket = { key, periodMs: Math.max(0, timeoutSec) * 1000, sessions: new Set([s]), deferred: new Set(), timer: undefined };
    this.buckets.set(key, nb);
    this.bySession.set(s, nb);
    nb.timer = this.wheel.schedule(nb.periodMs, () => this.fire(nb));
  }

  unregister(s: LinkTimed): void {
    const b = this.bySession.get(s);
    if (!b) return;
    this.bySession.delete(s);
    b.sessions.delete(s);
    b.deferred.delete(s);
    if (b.sessions.size === 0) this.remove(b);
  }

  close(): void {
    for (const b of this.buckets.values()) this.wheel.cancel(b.timer);
    this.buckets.clear();
    this.bySession.clear();
  }

  private remove(b: Bucket): void {
    this.wheel.cancel(b.timer);
    b.timer = undefined;
    if (this.buckets.get(b.key) === b) this.buckets.delete(b.key);
  }

  private fire(b: Bucket): void {
    b.timer = undefined;
    let due: LinkTimed[];
    if (b.deferred.size > 0) {
      due = [...b.sessions].filter((s) => !b.deferred.has(s));
      for (const s of due) this.bySession.delete(s);
      b.sessions = b.deferred;
      b.deferred = new Set();
      b.timer = this.wheel.schedule(b.periodMs, () => this.fire(b));
    } else {
      due = [...b.sessions];
      for (const s of due) this.bySession.delete(s);
      this.remove(b);
    }
    for (const s of due) s.update('low');
  }
}
