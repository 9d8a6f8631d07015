// Test doubles for the reliability services: a fake intreq initiator whose requests the test
// answers by hand, and a hold context wired with last ids, limiter and requester.
import type { EndReason, Packet } from '@pushpin-ts/zhttp';
import {
  InternalRequester, LastIds, LinkTimers, UpdateLimiter,
  type InitiatorLike, type InitiatorSessionLike, type SeqServices,
} from '../../src/seq/index.js';
import { testCtx, type TestCtx } from './fakes.js';
import type { HandlerLog } from '../../src/log.js';

export class FakeInitSession implements InitiatorSessionLike {
  onresponse?: ((p: Packet) => void) | undefined;
  ondata?: ((p: Packet) => void) | undefined;
  onend?: ((reason: EndReason, p?: Packet) => void) | undefined;
  ended = false;
  first: Omit<Packet, 'from' | 'id' | 'seq'> | undefined;
  credited = 0;
  cancelled = false;
  start(first: Omit<Packet, 'from' | 'id' | 'seq'>): void { this.first = first; }
  credit(n: number): void { this.credited += n; }
  cancel(): void { this.cancelled = true; this.ended = true; }
  destroy(): void { this.ended = true; }

  get uri(): string { return this.first?.uri ?? ''; }
  header(name: string): string[] {
    return (this.first?.headers ?? []).filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  }
  /** The proxy answers with a complete response. */
  answer(code: number, headers: Array<[string, string]>, body = ''): void {
    this.onresponse?.({ id: 'x', code, reason: code === 200 ? 'OK' : 'Status', headers, body: Buffer.from(body), more: false });
    this.ended = true;
  }
  /** The proxy (or the transport) fails the request. */
  fail(condition = 'remote-connection-failed'): void {
    this.ended = true;
    this.onend?.('error', { id: 'x', type: 'error', condition });
  }
}

export class FakeInitiator implements InitiatorLike {
  readonly opened: FakeInitSession[] = [];
  open(): FakeInitSession { const s = new FakeInitSession(); this.opened.push(s); return s; }
  /** Requests not answered yet. */
  get pending(): FakeInitSession[] { return this.opened.filter((s) => !s.ended); }
  last(): FakeInitSession {
    const s = this.opened.at(-1);
    if (!s) throw new Error('no internal request was sent');
    return s;
  }
}

export interface SeqCtx extends TestCtx {
  seq: SeqServices;
  initiator: FakeInitiator;
}

/** A hold context with last ids, an update limiter and a requester over a fake initiator. */
export function seqCtx(opts: { log?: HandlerLog; retryBaseMs?: number; withRequester?: boolean } = {}): SeqCtx {
  const ctx = testCtx(opts.log ? { log: opts.log } : {});
  const initiator = new FakeInitiator();
  const requester = opts.withRequester === false ? undefined : new InternalRequester({ initiator, scheduler: ctx.wheel, log: ctx.log });
  const seq: SeqServices = {
    lastIds: new LastIds(),
    limiter: new UpdateLimiter(ctx.wheel, ctx.log),
    linkTimers: new LinkTimers(ctx.wheel),
    requester,
    retryBaseMs: opts.retryBaseMs ?? 1000,
  };
  return Object.assign(ctx, { seq, initiator });
}

/** Lets promise callbacks run. */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
