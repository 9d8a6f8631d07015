import type { SessionBase } from './session-base.js';

/** Logger subset used by the session layer. */
export interface SessionLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export const KEEPALIVE_INTERVAL_MS = 45_000;
export const SESSION_EXPIRE_MS = 60_000;
const TICK_MS = 1_000;
const MULTI_MAX = 128;

/**
 * Sends keep-alives for sessions idle ≥ 45 s (batched into multi-id packets per peer when the
 * peer advertised ext.multi) and expires sessions silent for 60 s (zhttp.md §4.3).
 */
export class KeepAliveTicker<S extends SessionBase> {
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly sessions: () => Iterable<S>,
    private readonly sendBatch: (peer: string, batch: S[]) => void,
    private readonly intervalMs = KEEPALIVE_INTERVAL_MS,
    private readonly expireMs = SESSION_EXPIRE_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(Date.now()), TICK_MS);
    this.timer.unref();
  }
  stop(): void { if (this.timer) clearInterval(this.timer); this.timer = undefined; }

  tick(now: number): void {
    const expired: S[] = [];
    const due = new Map<string, S[]>();
    for (const s of this.sessions()) {
      if (now - s.lastRecv >= this.expireMs) { expired.push(s); continue; }
      if (now - s.lastSent < this.intervalMs) continue;
      const peer = s.peer;
      if (peer === undefined || !s.canKeepAlive()) continue;
      if (!s.peerMulti) { s.keepAlive(); continue; }
      let list = due.get(peer);
      if (!list) { list = []; due.set(peer, list); }
      list.push(s);
      if (list.length >= MULTI_MAX) { this.sendBatch(peer, list); due.set(peer, []); }
    }
    for (const [peer, list] of due) if (list.length) this.sendBatch(peer, list);
    for (const s of expired) s.expire();
  }
}
