import type { EndReason, Header, InitiatorSession, Packet } from '@pushpin-ts/zhttp';
import { planResponse } from './response-head.js';
import { wire, type AcceptUpgrade, type HttpRes, type WsConn } from './uws.js';
import { headerValue, requestUri, type RequestHead } from './request-head.js';
import type { HttpContext } from './http-session.js';

/** Shared by WebSocket sessions: HTTP context plus the sweep of half-closed sessions. */
export interface WsContext extends HttpContext {
  /** Client message bytes queued for the responder above which the connection is closed. */
  maxQueued: number;
  /** Sessions waiting for the responder's close reply (swept by one shared timer). */
  closing: Map<WsSession, number>;
}

// Handshake headers uWS writes itself, plus framing headers that make no sense on a 101.
const OWN_101 = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol',
  'sec-websocket-extensions', 'content-length', 'transfer-encoding', 'date', 'keep-alive']);

/**
 * Bridges one client WebSocket to a ZHTTP session (zhttp.md §7): the upgrade waits for the
 * responder's 101 (or a `rejected` error carrying an HTTP response), then messages flow as
 * data packets with content-type, fragments with `more`, and ping/pong/close packets.
 * Credits for responder messages are granted as uWS writes them out.
 */
export class WsSession {
  private res: HttpRes | undefined;
  private accept: AcceptUpgrade<WsSession> | undefined;
  private ws: WsConn | undefined;
  /** Message bytes sent by the responder and not yet credited (uWS back-pressure). */
  private owed = 0;
  /** A fragmented responder message is in progress, with its type. */
  private fragBinary: boolean | undefined;
  /** The responder sent close; we are closing the client side. */
  private peerClosed = false;

  private constructor(private readonly ctx: WsContext, private readonly s: InitiatorSession, res: HttpRes, accept: AcceptUpgrade<WsSession>) {
    this.res = res;
    this.accept = accept;
  }

  /** Opens the ZHTTP session for a validated upgrade request (first packet without `stream`). */
  static start(ctx: WsContext, res: HttpRes, head: RequestHead, scheme: 'ws' | 'wss', accept: AcceptUpgrade<WsSession>): WsSession {
    const s = ctx.initiator.open();
    const w = new WsSession(ctx, s, res, accept);
    s.data = w;
    s.onresponse = onResponse;
    s.ondata = onData;
    s.onclose = onClose;
    s.onping = onPing;
    s.onpong = onPong;
    s.onend = onEnd;
    w.watch(res);
    const host = headerValue(head.headers, 'host') ?? '';
    const first: Omit<Packet, 'from' | 'id' | 'seq'> = {
      method: head.method,
      uri: requestUri(scheme, host, head.path, head.query),
      headers: head.headers,
      credits: ctx.bufferSize,
    };
    if (head.peerAddress) first.peerAddress = head.peerAddress;
    s.start(first);
    ctx.log.debug({ rid: s.id, uri: first.uri, peer: head.peerAddress }, 'websocket request');
    return w;
  }

  /** The abort callback, created here so its closure holds nothing but `this`. */
  private watch(res: HttpRes): void {
    res.onAborted(() => this.onAborted());
  }

  /** Runs a handler; a bug in it closes this client connection instead of the process. */
  guard<A extends unknown[]>(fn: (this: WsSession, ...a: A) => void, ...a: A): void {
    try {
      fn.apply(this, a);
    } catch (err) {
      this.ctx.log.error({ rid: this.s.id, err }, 'websocket session failed; closing the client connection');
      this.drop();
    }
  }

  /** Ends both sides without ceremony. */
  private drop(): void {
    const res = this.res;
    const ws = this.ws;
    this.res = undefined;
    this.accept = undefined;
    this.ws = undefined;
    this.ctx.closing.delete(this);
    if (!this.s.ended) this.s.cancel();
    try { res?.close(); } catch { /* gone */ }
    try { ws?.close(); } catch { /* gone */ }
  }

  // ---- handshake

  onResponse(p: Packet): void {
    const res = this.res;
    const accept = this.accept;
    this.res = undefined;
    this.accept = undefined;
    if (!res || !accept) return;
    if (p.code !== 101) {
      this.ctx.log.warn({ rid: this.s.id, code: p.code }, 'responder answered a websocket request without 101; relaying and closing');
      this.s.destroy();
      relayResponse(res, p);
      return;
    }
    const headers: Header[] = [];
    let protocol = '';
    let extensions = '';
    for (const h of p.headers ?? []) {
      const k = h[0].toLowerCase();
      if (k === 'sec-websocket-protocol') protocol = h[1];
      else if (k === 'sec-websocket-extensions') extensions = keepSupportedExtensions(h[1]);
      else if (!OWN_101.has(k) && !/[\r\n\0]/.test(h[0] + h[1])) headers.push(h);
    }
    // open() runs synchronously inside accept and records the connection
    accept(this, headers, protocol, extensions);
    if (!this.ws) {
      // seen about once in 6,000 handshakes with the pinned uWS build (README, Known differences)
      this.ctx.log.warn({ rid: this.s.id }, 'websocket upgrade did not open; cancelling');
      if (!this.s.ended) this.s.cancel();
    }
  }

  /** uWS opened the client WebSocket (synchronously inside accept). */
  opened(ws: WsConn): void {
    this.ws = ws;
  }

  onEnd(reason: EndReason, p?: Packet): void {
    this.ctx.closing.delete(this);
    const res = this.res;
    if (res) {
      this.res = undefined;
      this.accept = undefined;
      if (reason === 'error' && p?.condition === 'rejected' && p.code !== undefined) {
        this.ctx.log.debug({ rid: this.s.id, code: p.code }, 'websocket rejected by responder');
        relayResponse(res, p);
      } else {
        this.ctx.log.warn({ rid: this.s.id, reason, condition: p?.condition }, 'responder ended the websocket session before accepting; answering 502');
        res.cork(() => {
          res.writeStatus('502 Bad Gateway').writeHeader('Content-Type', 'text/plain');
          res.end('Bad Gateway\n', true);
        });
      }
      return;
    }
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      this.ctx.log.debug({ rid: this.s.id, reason, condition: p?.condition }, 'responder ended the websocket session; closing the client connection');
      ws.close();
    }
  }

  private onAborted(): void {
    if (this.ws || this.peerClosed || !this.res) return; // upgraded (or answered) already
    this.res = undefined;
    this.accept = undefined;
    if (!this.s.ended) this.s.cancel();
  }

  // ---- responder → client

  onData(p: Packet): void {
    const ws = this.ws;
    const body = p.body ?? Buffer.alloc(0);
    if (!ws || this.peerClosed) { this.creditNow(body.length); return; }
    let r: number;
    if (this.fragBinary === undefined) {
      const binary = p.contentType === 'binary';
      if (p.more) {
        this.fragBinary = binary;
        r = ws.sendFirstFragment(body, binary);
      } else {
        r = ws.send(body, binary);
      }
    } else if (p.more) {
      r = ws.sendFragment(body);
    } else {
      this.fragBinary = undefined;
      r = ws.sendLastFragment(body);
    }
    if (r === 2) {
      this.ctx.log.warn({ rid: this.s.id }, 'websocket message dropped by back-pressure limit; closing');
      this.drop();
      return;
    }
    if (r === 1) {
      // nothing left buffered in uWS: everything so far reached the socket
      const n = this.owed + body.length;
      this.owed = 0;
      this.creditNow(n);
    } else {
      this.owed += body.length;
    }
  }

  onPeerPing(body: Buffer): void {
    this.ws?.ping(body);
    this.creditNow(body.length);
  }

  onPeerClose(code: number | undefined, reason: Buffer): void {
    const ws = this.ws;
    if (!ws) {
      // the client closed first and this is the responder's reply
      this.ctx.closing.delete(this);
      this.s.destroy();
      return;
    }
    this.peerClosed = true;
    // uWS sends the close frame and runs our close handler synchronously, which echoes it
    if (code === undefined) ws.end();
    else ws.end(code, reason);
  }

  /** uWS drained some of its send buffer: credit what is no longer buffered. */
  drained(ws: WsConn): void {
    if (this.owed === 0) return;
    const grant = this.owed - ws.getBufferedAmount();
    if (grant > 0) {
      this.owed -= grant;
      this.creditNow(grant);
    }
  }

  creditNow(n: number): void {
    this.ctx.credits.add(this.s, n);
  }

  // ---- client → responder

  message(data: Buffer, isBinary: boolean): void {
    if (this.s.ended) return;
    this.s.write(data, false, isBinary ? 'binary' : 'text');
    if (this.s.buffered > this.ctx.maxQueued) {
      this.ctx.log.warn({ rid: this.s.id, queued: this.s.buffered }, 'websocket client sends faster than the responder accepts; closing');
      this.ws?.end(1008, 'too much unacknowledged data');
    }
  }

  ping(data: Buffer): void { if (!this.s.ended) this.s.ping(data); }
  pong(data: Buffer): void { if (!this.s.ended) this.s.pong(data); }

  /** The client connection closed (close frame, error, or our own end/close). */
  closed(code: number, reason: Buffer): void {
    this.ws = undefined;
    if (this.s.ended) return;
    if (this.peerClosed) {
      // echo the responder's close, as a client replying to it would
      this.s.close(code === 1005 ? undefined : code, reason);
      this.s.destroy();
      return;
    }
    if (code === 1006) {
      this.ctx.log.debug({ rid: this.s.id }, 'websocket client disconnected without close; cancelling');
      this.s.cancel();
      return;
    }
    this.s.close(code === 1005 ? undefined : code, reason);
    this.ctx.closing.set(this, Date.now());
  }

  /** The responder never answered our close: forget the session. */
  expireClose(): void {
    this.ctx.closing.delete(this);
    if (!this.s.ended) this.s.cancel();
  }
}

/** Writes a responder's non-101 answer (or `rejected` error) as an HTTP response, then closes. */
function relayResponse(res: HttpRes, p: Packet): void {
  const plan = planResponse(p.code ?? 502, p.reason, p.headers ?? [], false);
  res.cork(() => {
    res.writeStatus(wire(plan.status));
    for (const [k, v] of plan.headers) res.writeHeader(wire(k), wire(v));
    if (plan.noBody) res.endWithoutBody();
    else res.end(p.body ?? Buffer.alloc(0), true);
  });
}

/** We run uWS without permessage-deflate, so an extension offer for it must not reach the client. */
function keepSupportedExtensions(v: string): string {
  return v.split(',').map((e) => e.trim()).filter((e) => e && !/^permessage-deflate\b/i.test(e)).join(', ');
}

// Session callbacks shared by every WebSocket session (`this` is the ZHTTP session).
function onResponse(this: InitiatorSession, p: Packet): void {
  const w = this.data as WsSession;
  w.guard(w.onResponse, p);
}
function onData(this: InitiatorSession, p: Packet): void {
  const w = this.data as WsSession;
  w.guard(w.onData, p);
}
function onClose(this: InitiatorSession, code: number | undefined, reason: Buffer): void {
  const w = this.data as WsSession;
  w.guard(w.onPeerClose, code, reason);
}
function onPing(this: InitiatorSession, body: Buffer): void {
  const w = this.data as WsSession;
  w.guard(w.onPeerPing, body);
}
function onPong(this: InitiatorSession, body: Buffer): void {
  const w = this.data as WsSession;
  w.guard(w.creditNow, body.length);
}
function onEnd(this: InitiatorSession, reason: EndReason, p?: Packet): void {
  const w = this.data as WsSession;
  w.guard(w.onEnd, reason, p);
}
