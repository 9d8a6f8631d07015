/** What a credit batcher needs from a session. */
export interface Creditable {
  readonly ended: boolean;
  credit(n: number): void;
  /** Responder the session talks to, once known (multi-id grants need it). */
  readonly peer?: string | undefined;
  /** The responder advertised `ext.multi`. */
  readonly peerMulti?: boolean;
  /** False while packets are held back (handoff). */
  canKeepAlive?(): boolean;
}

/** Sends one `credit` packet granting `n` to each of `sessions` (multi-id form, zhttp.md §6). */
export type CreditMany<S extends Creditable> = (peer: string, sessions: S[], n: number) => void;

/**
 * Collects credit grants and sends them once per event-loop turn. Granting per write makes
 * every packet answer with one credit, which keeps a window split into as many small
 * packets as ever were in flight; coalescing the grants of a burst lets the responder send
 * full-window packets again. With `many`, grants of the same size to sessions of the same
 * responder (a fan-out delivered one item to all of them) go out as one multi-id packet.
 */
export class CreditBatcher<S extends Creditable = Creditable> {
  private pending = new Map<S, number>();
  private scheduled = false;

  /**
   * @param many multi-id sender for grants of the same size to one responder
   * @param flushAt a session owed this many credits flushes everything at once: the receive
   *   loop can run for long without yielding to `setImmediate`, and a responder waiting for
   *   its window back would stall meanwhile (default: never)
   */
  constructor(private readonly many?: CreditMany<S>, private readonly flushAt = Infinity) {}

  /** Queues `n` credits for `s` (sent on the next turn, unless the session has ended). */
  add(s: S, n: number): void {
    if (n <= 0 || s.ended) return;
    const total = (this.pending.get(s) ?? 0) + n;
    this.pending.set(s, total);
    if (total >= this.flushAt) { this.flush(); return; }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; this.flush(); });
    }
  }

  /** Sends everything queued now. */
  flush(): void {
    const batch = this.pending;
    this.pending = new Map();
    const many = this.many;
    let groups: Map<string, { peer: string; n: number; list: S[] }> | undefined;
    for (const [s, n] of batch) {
      if (s.ended) continue;
      const peer = s.peer;
      if (!many || peer === undefined || !s.peerMulti || (s.canKeepAlive && !s.canKeepAlive())) { s.credit(n); continue; }
      groups ??= new Map();
      const k = `${n} ${peer}`;
      const g = groups.get(k);
      if (g) g.list.push(s);
      else groups.set(k, { peer, n, list: [s] });
    }
    if (!groups) return;
    for (const g of groups.values()) {
      if (g.list.length === 1) g.list[0]!.credit(g.n);
      else many!(g.peer, g.list, g.n);
    }
  }
}
