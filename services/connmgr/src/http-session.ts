import type { EndReason, InitiatorSession, Packet, ZhttpInitiator } from '@pushpin-ts/zhttp';
import type { Logger } from '@pushpin-ts/log';
import { planResponse } from './response-head.js';
import type { CreditBatcher } from './credit-batch.js';
import type { ChunkBatcher, ChunkSink } from './chunk-batch.js';
import { readBody, wire, type HttpRes } from './uws.js';
import { ChunkFrameCache, chunkFrame, LAST_CHUNK, type ChunkFrame } from './chunk-frame.js';
import { headerTokens, headerValue, requestUri, type RequestHead } from './request-head.js';

/** What every HTTP session shares (one object per process). */
export interface HttpContext {
  initiator: ZhttpInitiator;
  log: Logger;
  /** `--buffer-size`: credits granted to the responder in the first packet. */
  bufferSize: number;
  /** Queued request body bytes above which we stop reading from the client. */
  pauseAbove: number;
  /** Queued request body bytes above which the request is refused with 413. */
  refuseAbove: number;
  /** Coalesces credit grants per event-loop turn. */
  credits: CreditBatcher<InitiatorSession>;
  /** Defers streamed chunks to the end of the turn (absent: written at once). */
  chunks?: ChunkBatcher;
}

/** Pending chunk bytes of one session above which they are written without waiting. */
const CHUNK_FLUSH_BYTES = 64 * 1024;

const enum Out {
  /** Waiting for the response start. */
  Waiting,
  /** Streaming with chunked encoding framed by us (see `writeRawChunk`). */
  RawChunked,
  /** Streaming with the responder's Content-Length. */
  Length,
  /** Client response finished (or impossible); later body packets are only credited. */
  Discard,
}

const EMPTY = Buffer.alloc(0);

/** Frames of shared bodies: a multi-id packet's body is framed once for all its sessions. */
const frames = new ChunkFrameCache();

function writeFrame(res: HttpRes, f: ChunkFrame): void { res.writeHeader(f.name, f.value); }

/** Writes one chunk (see chunk-frame.ts); an empty `data` writes the last-chunk line. */
function writeRawChunk(res: HttpRes, data: Buffer): void {
  writeFrame(res, data.length ? frames.of(data) : LAST_CHUNK);
}

/**
 * Bridges one client HTTP request to one ZHTTP initiator session (zhttp.md §2.2, §4):
 * request body out under the responder's credits, response in with credits granted back
 * as uWS accepts the bytes. Works with whichever responder speaks (handoffs are handled by
 * the session layer). Kept small: a held stream costs this object, the session and uWS's
 * socket, and no timers.
 */
export class HttpSession implements ChunkSink {
  /** undefined once the client response is finished or the client went away. */
  private res: HttpRes | undefined;
  private out = Out.Waiting;
  private reqDone: boolean;
  private paused = false;
  /** Length mode: declared size, and chunks not yet fully accepted by tryEnd. */
  private total = 0;
  private lenQueue: Buffer[] | undefined;
  /** Streamed chunks waiting for the end of the turn (ChunkBatcher), and their size. */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  /** ChunkBatcher turn of the last immediate write. */
  private chunkTurn = -1;
  private lenBase = 0;
  private lenFinal = false;
  private closeAfter = false;
  /**
   * The client sent `Connection: close`. uWS closes after the response but, unlike condure,
   * does not say so; we write the header ourselves (uWS then adds none: it never echoes it).
   */
  private clientClose = false;

  private constructor(
    private readonly ctx: HttpContext,
    res: HttpRes,
    private readonly s: InitiatorSession,
    private readonly isHead: boolean,
    hasBody: boolean,
  ) {
    this.res = res;
    this.reqDone = !hasBody;
  }

  /**
   * Opens the ZHTTP session for a validated request and sends its first packet.
   * The body (if any) follows through `session.write` once the responder grants credits,
   * as condure does.
   */
  static start(ctx: HttpContext, res: HttpRes, head: RequestHead, scheme: 'http' | 'https', hasBody: boolean): HttpSession {
    const s = ctx.initiator.open();
    const b = new HttpSession(ctx, res, s, head.method === 'HEAD', hasBody);
    const conn = headerValue(head.headers, 'connection');
    if (conn !== undefined && headerTokens(conn).includes('close')) b.clientClose = true;
    // shared functions (the session calls them with itself as `this`) instead of
    // per-connection closures: a held stream should cost as little as possible
    s.data = b;
    s.onresponse = onResponse;
    s.ondata = onData;
    s.oncredit = onCredit;
    s.onend = onEnd;
    b.watch(res, hasBody);
    const host = headerValue(head.headers, 'host') ?? '';
    const first: Omit<Packet, 'from' | 'id' | 'seq'> = {
      method: head.method,
      uri: requestUri(scheme, host, head.path, head.query),
      headers: head.headers,
      stream: true,
      credits: ctx.bufferSize,
    };
    if (hasBody) first.more = true;
    if (head.peerAddress) first.peerAddress = head.peerAddress;
    s.start(first);
    ctx.log.debug({ rid: s.id, method: head.method, uri: first.uri, peer: head.peerAddress }, 'request');
    return b;
  }

  /** uWS callbacks, created here so their closures hold nothing but `this`. */
  private watch(res: HttpRes, hasBody: boolean): void {
    res.onAborted(() => this.onAborted());
    if (hasBody) readBody(res, (chunk, last) => this.guard(this.onRequestBody, chunk, last));
  }

  private watchWritable(res: HttpRes): void {
    res.onWritable((offset) => this.onWritable(offset));
  }

  /** Runs a handler; a bug in it closes this client connection instead of the process. */
  guard<A extends unknown[]>(fn: (this: HttpSession, ...a: A) => void, ...a: A): void {
    try {
      fn.apply(this, a);
    } catch (err) {
      this.failed(err);
    }
  }

  /** A handler threw: log and close this client connection. */
  failed(err: unknown): void {
    this.ctx.log.error({ rid: this.s.id, err }, 'http session failed; closing the client connection');
    this.fail();
  }

  private fail(): void {
    const res = this.res;
    this.res = undefined;
    if (res) { try { res.close(); } catch { /* already gone */ } }
    if (!this.s.ended) this.s.cancel();
  }

  // ---- client → responder

  onRequestBody(chunk: Buffer, last: boolean): void {
    if (this.s.ended) return;
    if (last) this.reqDone = true;
    this.s.write(chunk, !last);
    const queued = this.s.buffered;
    if (queued > this.ctx.refuseAbove && this.out === Out.Waiting) {
      this.ctx.log.warn({ rid: this.s.id, queued }, 'request body not consumed by the responder; refusing with 413');
      this.s.cancel();
      this.sendError(413, 'Request Entity Too Large');
      return;
    }
    if (!this.paused && !last && queued > this.ctx.pauseAbove && this.res) {
      this.paused = true;
      this.res.pause();
    }
  }

  onCredit(): void {
    if (this.paused && this.res && this.s.buffered <= this.ctx.pauseAbove / 2) {
      this.paused = false;
      this.res.resume();
    }
  }

  // ---- responder → client

  onResponse(p: Packet): void {
    const res = this.res;
    if (!res) { this.afterClientGone(p); return; }
    const code = p.code ?? 200;
    const plan = planResponse(code, p.reason, p.headers ?? [], this.isHead);
    if (plan.rejected) this.ctx.log.warn({ rid: this.s.id, count: plan.rejected }, 'dropped malformed response headers from responder');
    this.closeAfter = plan.close;
    const body = p.body ?? EMPTY;
    this.ctx.log.trace({ rid: this.s.id, code, more: !!p.more, peer: this.s.peer }, 'response');
    res.cork(() => {
      res.writeStatus(wire(plan.status));
      for (const [k, v] of plan.headers) res.writeHeader(wire(k), wire(v));
      if (this.clientClose) res.writeHeader('Connection', 'close');
      if (plan.noBody) {
        // uWS's endWithoutBody(n) leaves keep-alive connections stuck; write the length ourselves.
        if (plan.contentLength !== undefined && (this.isHead || code === 304)) res.writeHeader('Content-Length', String(plan.contentLength));
        // endWithoutBody takes no close flag without a length; uWS discards any unread request body itself
        if (this.paused) { this.paused = false; res.resume(); }
        res.endWithoutBody();
        this.finishClient();
        return;
      }
      if (!p.more) {
        res.end(body, this.mustClose());
        this.finishClient();
        return;
      }
      this.watchWritable(res);
      if (plan.contentLength !== undefined) {
        this.out = Out.Length;
        this.total = plan.contentLength;
        this.lenQueue = [];
        if (this.total === 0) {
          res.end(EMPTY, this.mustClose());
          this.finishClient();
          return;
        }
        this.pushLength(body);
      } else {
        // uWS's own chunked writer completes a head only with the first non-empty write and
        // holds back each chunk's closing CRLF until the next one: a held stream must show its
        // head and every published message at once, so we frame the chunks ourselves.
        this.out = Out.RawChunked;
        res.writeHeader('Date', new Date().toUTCString());
        res.writeHeader('Transfer-Encoding', 'chunked\r\n');
        if (body.length) {
          writeRawChunk(res, body);
          this.ctx.credits.add(this.s, body.length);
        }
      }
    });
    if (!p.more) this.s.destroy();
  }

  onData(p: Packet): void {
    const body = p.body ?? EMPTY;
    const res = this.res;
    if (!res || this.out === Out.Discard || this.out === Out.Waiting) {
      if (this.out === Out.Waiting && res) this.ctx.log.warn({ rid: this.s.id }, 'responder sent body before a response start; ignored');
      this.afterClientGone(p);
      return;
    }
    if (this.out === Out.RawChunked) {
      const batcher = this.ctx.chunks;
      if (p.more && batcher) {
        if (!body.length) return;
        if (!this.pending && this.chunkTurn !== batcher.turn) {
          // first chunk this turn: at once
          this.chunkTurn = batcher.turn;
          batcher.mark();
          res.cork(() => writeRawChunk(res, body));
          this.ctx.credits.add(this.s, body.length);
          return;
        }
        // count the bytes first: add() may flush this very session at once (early flush)
        this.pendingBytes += body.length;
        if (this.pending) this.pending.push(body);
        else { this.pending = [body]; batcher.add(this); }
        if (this.pendingBytes >= CHUNK_FLUSH_BYTES) this.writePending();
        return;
      }
      this.writePending();
      res.cork(() => {
        if (body.length) writeRawChunk(res, body);
        if (!p.more) {
          writeRawChunk(res, EMPTY);
          // uWS ends with its Date and uWebSockets lines, which become the trailer section
          res.endWithoutBody();
          this.finishClient();
        }
      });
      // uWS reports no back-pressure for raw writes, so bytes are credited as they are handed
      // over (a client whose buffer stays stalled is dropped by uWS's 10 s idle timeout);
      // Content-Length streams keep exact back-pressure through tryEnd
      if (p.more) this.ctx.credits.add(this.s, body.length);
    } else {
      if (!p.more) this.lenFinal = true;
      res.cork(() => this.pushLength(body));
    }
    if (!p.more) this.s.destroy();
  }


  /** Writes the chunks that waited for the end of the turn as one chunk, and credits them. */
  writePending(): void {
    const parts = this.pending;
    if (!parts) return;
    const n = this.pendingBytes;
    this.pending = undefined;
    this.pendingBytes = 0;
    const res = this.res;
    if (res && this.out === Out.RawChunked) {
      const f = parts.length === 1 ? frames.of(parts[0]!) : chunkFrame(parts);
      try {
        res.cork(() => writeFrame(res, f));
      } catch (err) {
        this.ctx.log.error({ rid: this.s.id, err }, 'http session failed while writing; closing the client connection');
        this.fail();
        return;
      }
    }
    this.ctx.credits.add(this.s, n);
  }

  /** Close after the response if the responder asked, or the client is still sending a body uWS would have to skip. */
  private mustClose(): boolean {
    return this.closeAfter || !this.reqDone;
  }



  private onWritable(offset: number): boolean {
    const res = this.res;
    if (!res) return true;
    try {
      if (this.out === Out.RawChunked) {
        res.cork(() => undefined);
        return true;
      }
      if (this.out === Out.Length) {
        let ok = true;
        res.cork(() => { ok = this.drainLength(offset); });
        return ok;
      }
    } catch (err) {
      this.ctx.log.error({ rid: this.s.id, err }, 'http session failed while writing; closing the client connection');
      this.fail();
    }
    return true;
  }

  private pushLength(body: Buffer): void {
    const q = this.lenQueue!;
    if (body.length) q.push(body);
    if (q.length <= 1) this.drainLength(this.res!.getWriteOffset());
    else this.checkLengthEnd();
  }

  /** Length mode: hands queued chunks to tryEnd; the first one may be partly written already. */
  private drainLength(offset: number): boolean {
    const q = this.lenQueue!;
    while (q.length && this.res) {
      const chunk = q[0]!;
      const rest = chunk.subarray(Math.max(0, offset - this.lenBase));
      const [ok, done] = this.res.tryEnd(rest, this.total);
      if (done) {
        if (!this.lenFinal || q.length > 1 || !ok) this.ctx.log.warn({ rid: this.s.id }, 'response body longer than its Content-Length; extra bytes dropped');
        this.finishClient();
        this.ctx.credits.add(this.s, q.reduce((n, c) => n + c.length, 0));
        q.length = 0;
        return true;
      }
      if (!ok) return false;
      q.shift();
      this.lenBase += chunk.length;
      offset = this.lenBase;
      this.ctx.credits.add(this.s, chunk.length);
    }
    this.checkLengthEnd();
    return true;
  }

  private checkLengthEnd(): void {
    if (!this.lenFinal || this.lenQueue!.length || !this.res) return;
    this.ctx.log.warn({ rid: this.s.id, expected: this.total, got: this.lenBase }, 'response body shorter than its Content-Length; closing the connection');
    const res = this.res;
    this.finishClient();
    res.close();
  }

  /** Body packets after the client response ended: keep the responder flowing until its last packet. */
  private afterClientGone(p: Packet): void {
    if (this.s.ended) return;
    if (!p.more) { this.s.destroy(); return; }
    const n = p.body?.length ?? 0;
    this.ctx.credits.add(this.s, n);
  }

  private finishClient(): void {
    this.res = undefined;
    this.out = Out.Discard;
  }

  onEnd(reason: EndReason, p?: Packet): void {
    const res = this.res;
    if (!res) return;
    const info = { rid: this.s.id, reason, condition: p?.condition, peer: this.s.peer };
    if (this.out === Out.Waiting) {
      this.ctx.log.warn(info, 'responder ended the session before responding; answering 502');
      this.sendError(502, 'Bad Gateway');
    } else {
      this.ctx.log.warn(info, 'responder ended the session mid-response; closing the client connection');
      this.writePending();
      this.finishClient();
      res.close();
    }
  }

  private sendError(code: number, reason: string): void {
    const res = this.res;
    if (!res) return;
    this.finishClient();
    res.cork(() => {
      res.writeStatus(`${code} ${reason}`).writeHeader('Content-Type', 'text/plain');
      res.end(`${reason}\n`, true);
    });
  }

  private onAborted(): void {
    this.res = undefined;
    this.out = Out.Discard;
    if (!this.s.ended) {
      this.ctx.log.debug({ rid: this.s.id }, 'client disconnected; cancelling');
      this.s.cancel();
    }
  }
}

// Session callbacks shared by every HTTP session (`this` is the ZHTTP session).
function onResponse(this: InitiatorSession, p: Packet): void {
  const b = this.data as HttpSession;
  b.guard(b.onResponse, p);
}
function onData(this: InitiatorSession, p: Packet): void {
  const b = this.data as HttpSession;
  try {
    b.onData(p);
  } catch (err) {
    b.failed(err);
  }
}
function onCredit(this: InitiatorSession): void {
  const b = this.data as HttpSession;
  b.guard(b.onCredit);
}
function onEnd(this: InitiatorSession, reason: EndReason, p?: Packet): void {
  const b = this.data as HttpSession;
  b.guard(b.onEnd, reason, p);
}
