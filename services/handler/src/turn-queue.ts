/**
 * Defers work to the end of the current event-loop turn, once per owner: stream holds use it
 * so that every item published during one turn (several publish requests, a batch of items)
 * leaves in one packet per session instead of one packet per item.
 */
export interface TurnWork { runTurn(): void }

export class TurnQueue {
  private pending = new Set<TurnWork>();
  private scheduled = false;

  constructor(private readonly onError: (err: unknown) => void = () => undefined) {}

  /** Runs `w.runTurn()` once at the end of this turn (setImmediate), however often it is added. */
  add(w: TurnWork): void {
    this.pending.add(w);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.run());
    }
  }

  /** Runs everything queued now. */
  run(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Set();
    for (const w of batch) {
      try { w.runTurn(); } catch (err) { this.onError(err); }
    }
  }
}
