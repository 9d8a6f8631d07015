/**
 * `Grip-Hold: stream` (grip.md §7.3): the initial response goes out at once with
 * `more: true`; each `http-stream` send item appends a chunk; `close` ends the response;
 * `Grip-Keep-Alive` data is written while idle (or on an interval). Items wait in a small
 * per-session queue while the client has no credits; past its bounds they are dropped.
 */
import {
  applyContentFilters, contentFilterMismatch, contentFilterNames, FilterError,
} from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem } from './hub.js';
import { HeldConnection, type HoldContext, type ZhttpSessionLike } from './held-connection.js';
import { encodeAddressSegment, encodeBodySegment, encodeDataPacket } from './stream-packet.js';
import type { WheelTimer } from './timer-wheel.js';
import type { Instruct } from '@pushpin-ts/grip';

/** Per-session publish queue bounds (1.36 queues 100 items per session). */
export const STREAM_QUEUE_MAX_ITEMS = 100;
export const STREAM_QUEUE_MAX_BYTES = 4 * 1024 * 1024;

interface Chunk {
  content: Buffer;
  /** Shared, pre-encoded body segment (absent when content filters rewrote the content). */
  seg: Buffer | undefined;
  /** `close` action: end the response. */
  close: boolean;
  channel: string;
}

const EMPTY = Buffer.alloc(0);

export class StreamHold extends HeldConnection {
  readonly mode = 'stream' as const;
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private closing = false;
  private kaTimer: WheelTimer | undefined;
  private kaPeriod = 0;
  private kaSeg: Buffer | undefined;
  private lastWrite = 0;
  private address: string | undefined;

  constructor(ctx: HoldContext, session: ZhttpSessionLike, cid: string, instruct: Instruct, channels: readonly ChannelSub[]) {
    super(ctx, session, cid, instruct, channels);
  }

  /** Sends the initial response (head + `body`, more), subscribes, starts keep-alives. */
  start(initialBody: Buffer): void {
    const r = this.instruct.response;
    this.session.respond({ code: r.code, reason: r.reason, headers: r.headers }, initialBody, true);
    this.lastWrite = this.ctx.wheel.now();
    this.register();
    if (this.instruct.keepAlive) this.scheduleKeepAlive(this.newPeriod());
  }

  protected stopTimers(): void {
    this.ctx.wheel.cancel(this.kaTimer);
    this.kaTimer = undefined;
  }

  deliver(p: PreparedItem, sub: ChannelSub): void {
    if (this.released) return;
    const f = p.item.formats.httpStream;
    if (!f) return;
    if (f.action === 'hint') {
      this.ctx.log.debug({ cid: this.cid, channel: sub.channel }, 'http-stream hint ignored (no next link support yet)');
      return;
    }
    if (f.action === 'close') {
      // nothing is taken after a close; it is written once the queue ahead of it is out
      this.closing = true;
      this.release();
      this.queue.push({ content: EMPTY, seg: undefined, close: true, channel: sub.channel });
      this.pump();
      return;
    }
    const mismatch = contentFilterMismatch(sub.filters, f.contentFilters);
    if (mismatch !== undefined) { this.endWithError(mismatch); return; }
    let content = f.content;
    let seg: Buffer | undefined;
    const cf = contentFilterNames(sub.filters);
    if (cf.length) {
      try {
        content = applyContentFilters(cf, content, this.filterContext(p.item));
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        this.ctx.log.warn({ cid: this.cid, channel: sub.channel, err: err.message }, 'filter error: item dropped');
        return;
      }
    } else if (this.ctx.sendRaw) {
      seg = p.streamSegment;
    }
    if (content.length === 0) return;
    this.enqueue({ content, seg, close: false, channel: sub.channel });
  }

  private enqueue(c: Chunk): void {
    const pending = this.queuedBytes + this.session.buffered;
    if (this.queue.length >= STREAM_QUEUE_MAX_ITEMS || (pending > 0 && pending + c.content.length > STREAM_QUEUE_MAX_BYTES)) {
      this.ctx.log.warn(
        { channel: c.channel, cid: this.cid, queuedItems: this.queue.length, queuedBytes: pending },
        'stream queue full, dropping published item',
      );
      return;
    }
    this.queue.push(c);
    this.queuedBytes += c.content.length;
    this.pump();
  }

  protected override pump(): void {
    while (this.queue.length && !this.session.ended && this.session.buffered === 0) {
      const c = this.queue.shift()!;
      this.queuedBytes -= c.content.length;
      if (c.close) {
        this.session.write(EMPTY, false);
        this.finish();
        return;
      }
      this.send(c.content, c.seg);
    }
  }

  /** Writes one chunk: pre-encoded packet when credits cover it, else through the session queue. */
  private send(content: Buffer, seg: Buffer | undefined): void {
    const s = this.session;
    this.lastWrite = this.ctx.wheel.now();
    const peer = s.peer;
    if (seg && this.ctx.sendRaw && peer !== undefined && s.credits >= content.length && s.buffered === 0) {
      this.address ??= encodeAddressSegment(this.ctx.instanceId, s.id);
      const payload = encodeDataPacket(this.address, s.outSeq++, seg, true);
      s.credits -= content.length;
      s.lastSent = this.lastWrite;
      this.ctx.sendRaw(peer, payload);
      return;
    }
    s.write(content, true);
  }

  private endWithError(message: string): void {
    // the response has started: all we can do is cut it
    this.ctx.log.warn({ cid: this.cid, err: message }, 'held session error');
    this.release();
    this.queue.length = 0;
    this.queuedBytes = 0;
    if (!this.session.ended) this.session.cancel();
  }

  // ---- keep-alive (grip.md §5.4) ----

  private newPeriod(): number {
    const ka = this.instruct.keepAlive!;
    return Math.max(1, ka.timeout * 1000 - Math.floor(Math.random() * 1000));
  }

  private scheduleKeepAlive(delay: number): void {
    this.kaPeriod = delay;
    this.kaTimer = this.ctx.wheel.schedule(delay, () => { this.kaTimer = undefined; this.onKeepAlive(); });
  }

  private onKeepAlive(): void {
    const ka = this.instruct.keepAlive;
    if (this.released || this.closing || !ka || this.session.ended) return;
    const now = this.ctx.wheel.now();
    if (ka.mode === 'idle') {
      const due = this.lastWrite + this.kaPeriod;
      if (now + this.ctx.wheel.tickMs < due) {
        // something was written since: wait a full period after it
        this.kaTimer = this.ctx.wheel.schedule(due - now, () => { this.kaTimer = undefined; this.onKeepAlive(); });
        return;
      }
    }
    if (this.queue.length === 0 && this.session.buffered === 0) {
      this.kaSeg ??= this.ctx.sendRaw ? encodeBodySegment(ka.data) : undefined;
      this.send(ka.data, this.kaSeg);
    }
    this.scheduleKeepAlive(this.newPeriod());
  }
}
