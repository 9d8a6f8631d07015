/** A session whose client writes can wait for the end of the turn. */
export interface ChunkSink { writePending(): void }

/**
 * Defers client writes of streamed responses to the end of the event-loop turn, so that the
 * packets a session gets during one turn (the ZeroMQ receive loop drains a backlog without
 * yielding) reach the client in two writes at most instead of one each: the first packet of a
 * turn is written at once (no added latency at low load), later ones wait for the turn's end.
 * Under load the batches grow on their own. A turn that runs longer than `maxDelayMs`
 * flushes early, so a long backlog cannot hold data back.
 */
export class ChunkBatcher {
  private pending = new Set<ChunkSink>();
  private scheduled = false;
  private since = 0;
  private adds = 0;
  /** Bumped at every turn end: a session compares it to know whether it wrote this turn. */
  turn = 0;

  constructor(private readonly onError: (err: unknown) => void, private readonly maxDelayMs = 5) {}

  /** `s` has data waiting: call its `writePending()` at the end of the turn. */
  add(s: ChunkSink): void {
    this.pending.add(s);
    if (!this.scheduled) this.mark();
    else if ((++this.adds & 255) === 0 && performance.now() - this.since > this.maxDelayMs) {
      this.since = performance.now();
      this.flush();
    }
  }

  /** A session wrote during this turn: make sure the turn's end is noticed. */
  mark(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.since = performance.now();
    this.adds = 0;
    setImmediate(() => { this.scheduled = false; this.turn++; this.flush(); });
  }

  /** Writes everything waiting now. */
  flush(): void {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Set();
    for (const s of batch) {
      try { s.writePending(); } catch (err) { this.onError(err); }
    }
  }
}
