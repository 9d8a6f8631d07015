// Test doubles: a ZHTTP session that records what the hold sends, and hold contexts.
import type { EndReason, Packet, ResponseHead } from '@pushpin-ts/zhttp';
import { decodePacket } from '@pushpin-ts/zhttp';
import type { ZhttpSessionLike, HoldContext } from '../../src/held-connection.js';
import { SubscriptionHub } from '../../src/hub.js';
import { silentLog, type HandlerLog } from '../../src/log.js';
import { TimerWheel } from '../../src/timer-wheel.js';

export type Sent =
  | { kind: 'respond'; head: ResponseHead; body: string; more: boolean }
  | { kind: 'data'; body: string; more: boolean; raw?: boolean }
  | { kind: 'keep-alive' } | { kind: 'cancel' } | { kind: 'destroy' };

const EMPTY = Buffer.alloc(0);

/** Records packets; honours credits like SessionBase (bodies beyond credits wait in `buffered`). */
export class FakeSession implements ZhttpSessionLike {
  outSeq = 2;
  lastSent = 0;
  ended = false;
  sent: Sent[] = [];
  oncredit?: (() => void) | undefined;
  onend?: ((reason: EndReason, p?: Packet) => void) | undefined;
  private waiting: Array<{ body: Buffer; more: boolean }> = [];

  constructor(public credits = 100_000, readonly id = 'sess-1', readonly peer: string | undefined = 'condure') {}

  get buffered(): number { return this.waiting.reduce((n, w) => n + w.body.length, 0); }

  respond(head: ResponseHead, body: Buffer = EMPTY, more = false): void {
    if (this.ended) return;
    const n = Math.min(this.credits, body.length);
    this.credits -= n;
    this.outSeq++;
    this.sent.push({ kind: 'respond', head, body: body.subarray(0, n).toString(), more: more || n < body.length });
    if (n < body.length) this.waiting.push({ body: body.subarray(n), more });
  }

  write(body: Buffer, more: boolean): void {
    if (this.ended) return;
    this.waiting.push({ body, more });
    this.flush();
  }

  private flush(): void {
    while (this.waiting.length) {
      const w = this.waiting[0]!;
      const n = Math.min(this.credits, w.body.length);
      if (n === 0 && w.body.length > 0) return;
      this.credits -= n;
      this.outSeq++;
      if (n < w.body.length) {
        this.sent.push({ kind: 'data', body: w.body.subarray(0, n).toString(), more: true });
        this.waiting[0] = { body: w.body.subarray(n), more: w.more };
      } else {
        this.sent.push({ kind: 'data', body: w.body.toString(), more: w.more });
        this.waiting.shift();
      }
    }
  }

  keepAlive(): void { this.outSeq++; this.sent.push({ kind: 'keep-alive' }); }
  cancel(): void { if (!this.ended) { this.sent.push({ kind: 'cancel' }); this.ended = true; } }
  destroy(): void { if (!this.ended) { this.sent.push({ kind: 'destroy' }); this.ended = true; } }

  /** The connection manager grants credits. */
  grant(n: number): void { this.credits += n; this.flush(); this.oncredit?.(); }
  /** The connection manager ends the session (cancel, expiry). */
  peerEnd(reason: EndReason = 'cancel'): void { this.ended = true; this.onend?.(reason); }

  /** Concatenated body bytes sent so far (respond + data). */
  text(): string {
    return this.sent.map((s) => (s.kind === 'respond' || s.kind === 'data' ? s.body : '')).join('');
  }
}

export interface TestCtx extends HoldContext {
  clock: { now: number };
  hub: SubscriptionHub;
  wheel: TimerWheel;
  /** Packets sent through the fast path, decoded. */
  raw: Array<{ peer: string; packet: Packet }>;
  advance(ms: number): void;
}

/** A hold context with a fake clock. `fast` enables the pre-encoded packet path. */
export function testCtx(opts: { fast?: boolean; linger?: number; log?: HandlerLog } = {}): TestCtx {
  const clock = { now: 1_000_000 };
  const wheel = new TimerWheel({ tickMs: 100, clock: () => clock.now, onError: (e) => { throw e; } });
  const log = opts.log ?? silentLog;
  const hub = new SubscriptionHub({ wheel, log, subscriptionLinger: opts.linger ?? 0 });
  const raw: Array<{ peer: string; packet: Packet }> = [];
  const ctx: TestCtx = {
    clock, wheel, hub, log, instanceId: 'pushpin-handler_1', raw,
    advance(ms: number) { clock.now += ms; wheel.advance(); },
  };
  if (opts.fast) ctx.sendRaw = (peer, payload) => { raw.push({ peer, packet: decodePacket(payload) }); };
  return ctx;
}

/** A log that records lines. */
export function recordingLog(): HandlerLog & { lines: Array<{ level: string; obj: object; msg: string }> } {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const rec = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj, msg }); };
  return { lines, error: rec('error'), warn: rec('warn'), info: rec('info'), debug: rec('debug') };
}
