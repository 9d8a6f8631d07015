/** What a credit batcher needs from a session. */
export interface Creditable {
  readonly ended: boolean;
  credit(n: number): void;
}

/**
 * Collects credit grants and sends one `credit` packet per session per event-loop turn.
 * Granting per write makes every packet answer with one credit, which keeps a window
 * split into as many small packets as ever were in flight; coalescing the grants of a
 * burst lets the responder send full-window packets again.
 */
export class CreditBatcher {
  private pending = new Map<Creditable, number>();
  private scheduled = false;

  /** Queues `n` credits for `s` (sent on the next turn, unless the session has ended). */
  add(s: Creditable, n: number): void {
    if (n <= 0 || s.ended) return;
    this.pending.set(s, (this.pending.get(s) ?? 0) + n);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends everything queued now. */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    for (const [s, n] of batch) if (!s.ended) s.credit(n);
  }
}
