/** Restart delays: 250 ms doubling to 10 s; a child that ran 30 s starts over at 250 ms. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 250, maxMs: 10_000, resetAfterMs: 30_000 };

/**
 * Exponential restart delay for one service.
 *
 * @example const b = new Backoff(); b.next(10); b.next(10) // 250 then 500
 */
export class Backoff {
  #next: number;
  constructor(private readonly policy: BackoffPolicy = defaultBackoff) {
    this.#next = policy.initialMs;
  }

  /** Delay before the next start, given how long the child just ran. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.policy.resetAfterMs) this.#next = this.policy.initialMs;
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, this.policy.maxMs);
    return delay;
  }
}
