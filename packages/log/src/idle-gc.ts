import v8 from 'node:v8';

/**
 * A full garbage collection once the process goes quiet after a burst of sessions. Sessions
 * handed to the handler leave only garbage here, but V8 keeps the heap it grew during the
 * burst until its next major GC, which may be far away: measured with 5000 held streams,
 * 7 KB of RSS per stream stayed in the proxy, 2 KB after this (docs/benchmarks.md), and none
 * once the collection also compacts (the live sessions of the handler then sit on full pages:
 * its V8 pages per held stream 4.3-5.3 KB -> 2.6 KB). Needs
 * `--expose-gc` (the runner passes it to the proxy, the zurl role and the handler); without it this does nothing.
 */
export class IdleGc {
  private sessions = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly gc: (() => void) | undefined,
    /** Sessions since the last collection that make a burst. */
    private readonly minSessions = 200,
    /** Time without a new session after which the burst is over. */
    private readonly quietMs = 500,
  ) {}

  /** A session started. */
  touch(): void {
    if (!this.gc) return;
    if (++this.sessions < this.minSessions) return;
    if (this.timer) { this.timer.refresh(); return; }
    this.timer = setTimeout(() => this.collect(), this.quietMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private collect(): void {
    this.timer = undefined;
    this.sessions = 0;
    this.gc!();
  }
}

/**
 * `global.gc` when node runs with `--expose-gc`, as a compacting full collection (V8 otherwise
 * compacts only the pages it picks as fragmented, which leaves partly used pages resident).
 */
export function exposedGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g !== 'function') return undefined;
  return () => {
    v8.setFlagsFromString('--compact-on-every-full-gc');
    try {
      g();
    } finally {
      v8.setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}
