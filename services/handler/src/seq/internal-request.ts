/**
 * Requests the handler sends through the proxy's internal-request (intreq) socket: next links,
 * retries of long-polls, gone links (grip.md §2.8, §8, §9.2). One ZHTTP initiator session per
 * request; the whole response is buffered (bounded). Identical concurrent requests that carry
 * a share key are collapsed into one (grip.md §14 "auto-share").
 */
import type { Header, Packet, EndReason } from '@pushpin-ts/zhttp';
import type { TnMap } from '@pushpin-ts/tnetstring';
import type { HandlerLog } from '../log.js';
import { InternalRequestError } from '../errors.js';

export { InternalRequestError };

export interface OutRequest {
  method: string;
  /** Absolute URI. */
  uri: string;
  headers: Header[];
  body?: Buffer;
  /** Client address to report to the proxy (retries: X-Forwarded-For rules apply to it). */
  peerAddress?: string;
  /** Route id of the held session (from its accept), sent as `passthrough.route`. */
  route?: string;
}

export interface InResponse {
  code: number;
  reason: string;
  headers: Header[];
  body: Buffer;
}


/** The initiator session surface used here (InitiatorSession implements it). */
export interface InitiatorSessionLike {
  onresponse?: ((p: Packet) => void) | undefined;
  ondata?: ((p: Packet) => void) | undefined;
  onend?: ((reason: EndReason, p?: Packet) => void) | undefined;
  readonly ended: boolean;
  start(first: Omit<Packet, 'from' | 'id' | 'seq'>): void;
  credit(n: number): void;
  cancel(): void;
  destroy(): void;
}

export interface InitiatorLike { open(): InitiatorSessionLike }

/** Timers the requester needs (a TimerWheel fits). */
export interface Scheduler {
  schedule(delayMs: number, cb: () => void): unknown;
  cancel(t: unknown): void;
}

export interface InternalRequesterOptions {
  initiator: InitiatorLike;
  scheduler: Scheduler;
  log: HandlerLog;
  /** Whole-request timeout (ms). Default 60 000. */
  timeoutMs?: number;
  /** Largest response body kept (bytes). Default 8 MiB. */
  maxBody?: number;
}

export const INTREQ_WINDOW = 1_000_000;
export const INTREQ_MAX_BODY = 8 * 1024 * 1024;

/**
 * Pushpin's auto-share key for a next-link GET: URI without the query, plus the sorted
 * Grip-Last values (the query may vary per client; Grip-Last supersedes it).
 * @example shareKey('http://a/n?x=1', [['Grip-Last', 'c; last-id=1']]) // 'auto|http://a/n|c; last-id=1'
 */
export function shareKey(uri: string, headers: readonly Header[]): string {
  const q = uri.search(/[?#]/);
  const base = q === -1 ? uri : uri.slice(0, q);
  const last = headers.filter(([n]) => n.toLowerCase() === 'grip-last').map(([, v]) => v).sort();
  return ['auto', base, ...last].join('|');
}

/**
 * `passthrough` of an internal request, as Pushpin 1.36's handler sends it: the proxy answers
 * such a request raw (no GRIP processing, no handoff) through the named route.
 * @example passthroughOf({ method: 'GET', uri: 'http://a/', headers: [], route: '*,*,*,*' }, true)
 *   // { route: <'*,*,*,*'>, 'prefer-internal': true, 'auto-share': true }
 */
export function passthroughOf(req: OutRequest, share: boolean): TnMap {
  const m: TnMap = {};
  if (req.route !== undefined) m['route'] = Buffer.from(req.route);
  m['prefer-internal'] = true;
  if (share) m['auto-share'] = true;
  return m;
}

export class InternalRequester {
  private readonly inflight = new Map<string, Promise<InResponse>>();
  private readonly timeoutMs: number;
  private readonly maxBody: number;

  constructor(private readonly opts: InternalRequesterOptions) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxBody = opts.maxBody ?? INTREQ_MAX_BODY;
  }

  /** Requests in flight that can still be joined (for tests/metrics). */
  get sharedInFlight(): number { return this.inflight.size; }

  /**
   * Sends `req` through the proxy. With `share`, an identical request already in flight
   * (same {@link shareKey}) is joined instead of sending another one.
   * Rejects with {@link InternalRequestError}; never throws synchronously.
   */
  request(req: OutRequest, share = false): Promise<InResponse> {
    if (!share) return this.send(req, false);
    const key = shareKey(req.uri, req.headers);
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const p = this.send(req, true).finally(() => { if (this.inflight.get(key) === p) this.inflight.delete(key); });
    this.inflight.set(key, p);
    return p;
  }

  private send(req: OutRequest, share: boolean): Promise<InResponse> {
    return new Promise<InResponse>((resolve, reject) => {
      let s: InitiatorSessionLike;
      try {
        s = this.opts.initiator.open();
      } catch (err) {
        reject(new InternalRequestError(`cannot open internal request: ${String(err)}`, 'open-failed'));
        return;
      }
      let head: Packet | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const timer = this.opts.scheduler.schedule(this.timeoutMs, () => fail('internal request timed out', 'timeout', true));
      const done = (): void => { settled = true; this.opts.scheduler.cancel(timer); };
      const fail = (message: string, condition: string, cancel: boolean): void => {
        if (settled) return;
        done();
        if (cancel && !s.ended) s.cancel();
        reject(new InternalRequestError(message, condition));
      };
      const take = (p: Packet): void => {
        const b = p.body;
        if (b && b.length) {
          size += b.length;
          if (size > this.maxBody) { fail(`internal response larger than ${this.maxBody} bytes`, 'too-large', true); return; }
          chunks.push(b);
          if (p.more) s.credit(b.length);
        }
        if (!p.more) {
          done();
          if (!s.ended) s.destroy();
          const h = head!;
          resolve({ code: h.code ?? 200, reason: h.reason ?? '', headers: h.headers ?? [], body: Buffer.concat(chunks) });
        }
      };
      s.onresponse = (p) => { if (settled) return; head = p; take(p); };
      s.ondata = (p) => { if (settled || !head) return; take(p); };
      s.onend = (reason, p) => fail(`internal request ended: ${reason}${p?.condition ? ` (${p.condition})` : ''}`, p?.condition ?? reason, false);
      const first: Omit<Packet, 'from' | 'id' | 'seq'> = {
        method: req.method, uri: req.uri, headers: req.headers, stream: true, credits: INTREQ_WINDOW,
        passthrough: passthroughOf(req, share),
      };
      if (req.body && req.body.length) first.body = req.body;
      if (req.peerAddress !== undefined) first.peerAddress = req.peerAddress;
      try {
        s.start(first);
      } catch (err) {
        fail(`cannot send internal request: ${String(err)}`, 'send-failed', true);
      }
    });
  }
}
