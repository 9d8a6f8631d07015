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

/** Small grants that may wait (see `CreditBatcher`). */
export interface LazyGrants {
  /** A session owed fewer credits than this keeps them for now... */
  below: number;
  /** ...for at most this long (ms); then every waiting grant goes out. */
  maxDelayMs: number;
}

/**
 * Collects credit grants and sends them once per event-loop turn. Granting per write makes
 * every packet answer with one credit, which keeps a window split into as many small
 * packets as ever were in flight; coalescing the grants of a burst lets the responder send
 * full-window packets again. With `many`, grants of the same size to sessions of the same
 * responder (a fan-out delivered one item to all of them) go out as one multi-id packet.
 *
 * With `lazy`, a session owed less than `lazy.below` keeps its grant (like a TCP window
 * update, which waits for a worthwhile size): its responder still holds most of the window,
 * so nothing waits for these credits, and a fan-out of small messages to many clients no
 * longer answers every message with a credit packet per client (which the responder has to
 * read while the clients are being written). A grant goes out once the session is owed
 * `below`, and every waiting grant after `maxDelayMs` at most.
 */
export class CreditBatcher<S extends Creditable = Creditable> {
  private pending = new Map<S, number>();
  private scheduled = false;
  /** Grants below `lazy.below`, waiting. */
  private waiting = new Map<S, number>();
  private lazyTimer: NodeJS.Timeout | undefined;

  /**
   * @param many multi-id sender for grants of the same size to one responder
   * @param flushAt a session owed this many credits flushes everything at once: the receive
   *   loop can run for long without yielding to `setImmediate`, and a responder waiting for
   *   its window back would stall meanwhile (default: never)
   * @param lazy small grants wait (default: every grant goes out at the end of its turn)
   */
  constructor(private readonly many?: CreditMany<S>, private readonly flushAt = Infinity, private readonly lazy?: LazyGrants) {}

  /** Queues `n` credits for `s` (sent on the next turn, or later if small; not once the session has ended). */
  add(s: S, n: number): void {
    if (n <= 0 || s.ended) return;
    const due = this.pending.get(s);
    let total = (due ?? 0) + n;
    if (this.lazy) {
      const w = this.waiting.get(s);
      if (w !== undefined) { total += w; this.waiting.delete(s); }
      if (total < this.lazy.below && due === undefined) {
        this.waiting.set(s, total);
        this.lazyTimer ??= setTimeout(this.flushWaiting, this.lazy.maxDelayMs).unref();
        return;
      }
    }
    this.pending.set(s, total);
    if (total >= this.flushAt) { this.flush(); return; }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; this.flush(); });
    }
  }

  private readonly flushWaiting = (): void => {
    this.lazyTimer = undefined;
    const w = this.waiting;
    this.waiting = new Map();
    for (const [s, n] of w) this.pending.set(s, (this.pending.get(s) ?? 0) + n);
    this.flush();
  };

  /** Sends every grant due now (waiting small grants stay). */
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
