import { randomUUID } from 'node:crypto';
import type { HttpTarget, Route } from '@pushpin-ts/config';
import { decodeCloseContent, decodeWsEvents, encodeCloseContent, encodeWsEvents, statusReason, type WsEvent } from '@pushpin-ts/grip';
import type { EndReason, Header, InitiatorSession, Packet, ResponderSession, ResponseData, WsControlItem } from '@pushpin-ts/zhttp';
import type { ClientRequest } from '../client-request.js';
import type { Log } from '../log.js';
import { MESSAGES, textResponse, upstreamErrorDetail } from '../proxy-responses.js';
import type { SessionContext } from '../proxy-session.js';
import { backendHost, backendUri, rewritePath } from '../request-rewrite.js';
import { targetHeaders } from '../target-request.js';
import { ClientKeepAlive, messageType } from './client-keep-alive.js';
import { EventQueue } from './event-queue.js';
import {
  applySetMeta, classifyBackendMessage, handshakeHeaders, MAX_REJECT_BODY, MAX_REQUEST_CONTENT, MAX_RESPONSE_BODY,
  readWohResponse, wohRequestHeaders, type GripExtension,
} from './woh-http.js';
import type { WsControlTarget } from './ws-control-link.js';
import { guarded } from '../session-guard.js';

/** Receive window granted to the connection manager and to zurl. */
const WINDOW = 200_000;
/** Client send queue size above which published messages are dropped and requests wait. */
const CLIENT_BUFFER_MAX = 200_000;
/** Retry delays for requests that could not reach the backend (§4.5). */
const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 16000];
/** How long a close handshake may take before the connection is dropped. */
const CLOSE_LINGER_MS = 5_000;
const CONNECT_FAILURES: ReadonlySet<string> = new Set(['remote-connection-failed', 'connection-timeout', 'tls-error']);
const EMPTY = Buffer.alloc(0);

type Kind = 'open' | 'normal' | 'disconnect';

interface Inflight {
  zs: InitiatorSession;
  kind: Kind;
  events: WsEvent[];
  attempt: number;
  head: { code: number; reason: string; headers: Header[] } | undefined;
  chunks: Buffer[];
  size: number;
  complete: boolean;
}

/**
 * One client WebSocket relayed to an `over_http` target as a series of POSTs
 * (websocket-over-http.md §1–§7): one request in flight, client messages batched, meta and
 * keep-alive interval from response headers, GRIP control messages forwarded to the handler,
 * published messages and keep-alives from the handler written to the client.
 * Callbacks never throw: a failure drops the client and is logged.
 */
export class WohSession implements WsControlTarget {
  /** Connection-Id towards the backend and the handler's connection id. */
  readonly cid = randomUUID();
  /** A stats `conn` went out for this connection (once the client got its 101). */
  private reported = false;
  private phase: 'connecting' | 'open' | 'done' = 'connecting';
  private target!: HttpTarget;
  private baseHeaders: Header[] = [];
  private readonly tried: string[] = [];
  private readonly meta = new Map<string, string>();
  private grip: GripExtension | undefined;
  private registered = false;
  private inflight: Inflight | undefined;
  private readonly queue = new EventQueue();
  /** Partial client message being reassembled. */
  private partial: { type: 'text' | 'binary'; chunks: Buffer[]; size: number } | undefined;
  /** Client bytes received / credited back. */
  private clientIn = 0;
  private clientGranted = 0;
  private keepAliveInterval = 0;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private refreshWanted = false;
  private clientClosed = false;
  private backendClosed = false;
  private closeSent = false;
  private detached = false;
  private linger: NodeJS.Timeout | undefined;
  private readonly clientKa: ClientKeepAlive;
  private finished = false;
  private destroyWhenDrained = false;
  /** We closed the client because of bad input: wait for its close reply, ignore the rest. */
  private failing = false;
  /** We sent the client a close frame (backend CLOSE, handler close or bad input). */
  private closedClient = false;
  private readonly log: Log;

  constructor(
    private readonly ctx: SessionContext,
    private readonly cs: ResponderSession,
    private readonly req: ClientRequest,
    log: Log,
    private readonly route: Route,
    private targetIndex: number,
    private readonly trusted: boolean,
  ) {
    this.log = log.child({ cid: this.cid });
    this.clientKa = new ClientKeepAlive((type, content) => {
      if (this.cs.buffered < CLIENT_BUFFER_MAX) this.toClient(type, content);
    }, (fn) => this.guard(fn), () => { if (this.registered) this.ctx.wsControl?.needKeepAlive(this.cid); });
  }

  private get debug(): boolean { return this.ctx.settings.debug || this.route.debug; }

  /** Takes over the client session and sends OPEN to the route's target at `targetIndex`. */
  start(): void {
    const cs = this.cs;
    cs.ondata = this.guard((p: Packet) => this.onClientData(p));
    cs.onclose = this.guard((code: number | undefined, reason: Buffer) => this.onClientClose(code, reason));
    cs.onping = this.guard((b: Buffer) => this.onClientControl('PING', b));
    cs.onpong = this.guard((b: Buffer) => this.onClientControl('PONG', b));
    cs.oncredit = this.guard(() => this.onClientCredit());
    cs.onend = this.guard((reason: EndReason) => this.onClientEnd(reason));
    this.guard(() => this.openTarget())();
  }

  private openTarget(): void {
    const t = this.route.targets[this.targetIndex];
    if (!t || t.type !== 'http' || !t.overHttp) {
      this.rejectError(t ? 'Error: WebSocket-over-HTTP target expected' : 'Error: route has no targets');
      return;
    }
    this.target = t;
    this.tried.push(`${t.host}:${t.port}`);
    this.baseHeaders = targetHeaders({
      req: this.req, route: this.route, target: t, trusted: this.trusted, internal: false, settings: this.ctx.settings, signer: this.ctx.signer,
    }).headers;
    this.sendRequest([{ type: 'OPEN' }], 'open');
  }

  // ---- requests ------------------------------------------------------------------------

  private sendRequest(events: WsEvent[], kind: Kind, attempt = 0): void {
    const t = this.target;
    const route = this.route;
    const gripSig = this.trusted || route.noGrip ? undefined : this.ctx.signer.tokenFor(route);
    const headers = wohRequestHeaders(this.baseHeaders, { grip: !route.noGrip, ...(gripSig !== undefined ? { gripSig } : {}), cid: this.cid, meta: this.meta });
    const uri = backendUri({ ssl: t.ssl, isWebSocket: false, host: backendHost(this.req.host, route, t), path: rewritePath(this.req.path, route), query: this.req.query });
    const body = encodeWsEvents(events);
    const first: Omit<Packet, 'from' | 'id' | 'seq'> = {
      method: 'POST', uri, headers, stream: true, credits: WINDOW, connectHost: t.host, connectPort: t.port, ignorePolicies: true,
    };
    if (body.length) first.body = body;
    if (t.insecure) first.ignoreTlsErrors = true;
    if (t.trustConnectHost) first.trustConnectHost = true;
    const zs = this.ctx.zurl.open();
    const inf: Inflight = { zs, kind, events, attempt, head: undefined, chunks: [], size: 0, complete: false };
    zs.onresponse = this.guard((p: Packet) => this.onResponseStart(inf, p));
    zs.ondata = this.guard((p: Packet) => this.onResponseData(inf, p));
    zs.onend = this.guard((reason: EndReason, p?: Packet) => this.onRequestEnd(inf, reason, p));
    if (kind !== 'disconnect') this.inflight = inf;
    if (events.some((e) => e.type === 'CLOSE')) this.closeSent = true;
    this.log.debug({ uri, kind, events: events.map((e) => e.type), attempt }, 'WebSocket-over-HTTP request');
    zs.start(first);
  }

  private onResponseStart(inf: Inflight, p: Packet): void {
    const code = p.code ?? 200;
    inf.head = { code, reason: p.reason ?? statusReason(code), headers: p.headers ?? [] };
    this.addResponseBody(inf, p.body ?? EMPTY, p.more === true);
  }

  private onResponseData(inf: Inflight, p: Packet): void {
    if (!inf.head || inf.complete) return;
    this.addResponseBody(inf, p.body ?? EMPTY, p.more === true);
  }

  private addResponseBody(inf: Inflight, b: Buffer, more: boolean): void {
    if (b.length) { inf.chunks.push(b); inf.size += b.length; }
    const ok200 = inf.head!.code === 200;
    if (more && !ok200 && inf.size > MAX_REJECT_BODY) {
      // only relayed as a rejection: the first 100 000 bytes are enough
      inf.complete = true;
      inf.zs.cancel();
      this.onResponse(inf);
      return;
    }
    if (ok200 && inf.size > MAX_RESPONSE_BODY) {
      inf.complete = true;
      inf.zs.cancel();
      this.requestFailed(inf, `response body larger than ${MAX_RESPONSE_BODY} bytes`, false);
      return;
    }
    if (more) {
      if (b.length) inf.zs.credit(b.length);
      return;
    }
    inf.complete = true;
    inf.zs.destroy();
    this.onResponse(inf);
  }

  private onRequestEnd(inf: Inflight, reason: EndReason, p?: Packet): void {
    if (inf.complete) return;
    inf.complete = true;
    const condition = reason === 'error' ? (p?.condition ?? 'undefined-condition') : reason === 'expired' ? 'connection-timeout' : reason;
    if (inf.kind === 'disconnect' || this.finished) return;
    const retryable = CONNECT_FAILURES.has(condition) && inf.head === undefined;
    if (inf.kind === 'open') {
      if (retryable && this.nextOverHttpTarget()) {
        this.log.info({ condition, target: this.tried.at(-1) }, 'WebSocket-over-HTTP target failed; trying the next one');
        this.inflight = undefined;
        this.openTarget();
        return;
      }
      this.log.warn({ condition, tried: this.tried }, 'error while proxying WebSocket-over-HTTP to origin');
      this.rejectError(upstreamErrorDetail(condition, this.tried));
      return;
    }
    if (retryable && inf.attempt < RETRY_DELAYS_MS.length) {
      const delay = RETRY_DELAYS_MS[inf.attempt]! + Math.floor(Math.random() * 1000);
      this.log.info({ condition, attempt: inf.attempt + 1, delay }, 'WebSocket-over-HTTP request failed; retrying');
      this.retryTimer = setTimeout(this.guard(() => {
        this.retryTimer = undefined;
        if (this.finished) return;
        this.sendRequest(inf.events, inf.kind, inf.attempt + 1);
      }), delay);
      return;
    }
    this.requestFailed(inf, `request failed: ${condition}`, true);
  }

  private nextOverHttpTarget(): boolean {
    const t = this.route.targets[this.targetIndex + 1];
    if (!t || t.type !== 'http' || !t.overHttp) return false;
    this.targetIndex++;
    return true;
  }

  /** A later request failed for good: the client is dropped. */
  private requestFailed(inf: Inflight, why: string, backendGone: boolean): void {
    if (inf.kind === 'disconnect' || this.finished) return;
    if (inf.kind === 'open') {
      this.log.warn({ err: why }, 'WebSocket-over-HTTP OPEN failed');
      this.rejectError(`Error: ${why}`);
      return;
    }
    this.log.warn({ err: why, target: this.tried.at(-1) }, 'WebSocket-over-HTTP request failed; dropping client');
    if (this.inflight === inf) this.inflight = undefined;
    this.drop(!backendGone);
  }

  // ---- responses -----------------------------------------------------------------------

  private onResponse(inf: Inflight): void {
    if (inf.kind === 'disconnect' || this.finished) return;
    if (this.inflight === inf) this.inflight = undefined;
    const head = inf.head!;
    const body = Buffer.concat(inf.chunks);
    const info = readWohResponse(head.code, head.headers);
    if (!info.ok) {
      if (inf.kind === 'open') {
        const b = body.length > MAX_REJECT_BODY ? body.subarray(0, MAX_REJECT_BODY) : body;
        this.reject({ code: head.code, reason: head.reason, headers: head.headers.filter(([k]) => k.toLowerCase() !== 'content-length'), body: b });
      } else {
        this.requestFailed(inf, `backend answered ${head.code} with Content-Type ${JSON.stringify(head.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '')}`, false);
      }
      return;
    }
    let events: WsEvent[];
    try {
      events = decodeWsEvents(body);
    } catch (err) {
      this.requestFailed(inf, `malformed events from backend: ${(err as Error).message}`, false);
      return;
    }
    applySetMeta(this.meta, info.setMeta);
    if (info.keepAliveInterval !== undefined) this.keepAliveInterval = info.keepAliveInterval;

    if (inf.kind === 'open') {
      if (events.length === 0 && this.keepAliveInterval > 0) {
        // §3.1: stay connecting; OPEN is sent again at the next keep-alive poll
        this.armKeepAlive();
        return;
      }
      if (events[0]?.type !== 'OPEN') {
        this.requestFailed(inf, events.length ? `first event is ${events[0]!.type}, not OPEN` : 'empty OPEN response', false);
        return;
      }
      this.accept(head.headers, info.grip);
      events = events.slice(1);
    }
    this.processEvents(events);
    if (this.finished) return;
    this.afterRequest(inf);
  }

  private accept(headers: Header[], grip: GripExtension | undefined): void {
    this.phase = 'open';
    if (!this.route.noGrip && !this.trusted && grip) this.grip = grip;
    this.cs.respond({ code: 101, reason: 'Switching Protocols', headers: handshakeHeaders(headers) }, EMPTY, false, { credits: WINDOW });
    this.log.info({ uri: this.req.uri, route: this.route.id, target: this.tried.at(-1), grip: this.grip !== undefined }, 'WebSocket-over-HTTP connected');
    this.ctx.conns?.connOpened(this.cid, 'ws', this.req.peerAddress, this.req.isTls);
    this.reported = true;
    const link = this.ctx.wsControl;
    if (link?.enabled && (this.grip || this.target.subs.length)) {
      link.register(this.cid, {
        uri: this.req.uri, route: this.route.id, channelPrefix: this.route.prefix, debug: this.debug, trusted: this.trusted,
        ...(this.route.logLevel !== undefined ? { logLevel: this.route.logLevel } : {}),
      }, this);
      this.registered = true;
      for (const ch of this.target.subs) link.subscribe(this.cid, ch);
    }
  }

  private processEvents(events: WsEvent[]): void {
    for (const e of events) {
      if (this.finished) return;
      if (this.backendClosed && e.type !== 'DISCONNECT') continue;
      switch (e.type) {
        case 'TEXT':
        case 'BINARY':
          this.fromBackend(e.type === 'TEXT' ? 'text' : 'binary', e.content ?? EMPTY);
          break;
        case 'PING':
          this.toClient('ping', e.content ?? EMPTY);
          break;
        case 'PONG':
          this.toClient('pong', e.content ?? EMPTY);
          break;
        case 'CLOSE': {
          const c = decodeCloseContent(e.content);
          this.backendClosed = true;
          this.closedClient = true;
          this.cs.close(c.code, Buffer.from(c.reason, 'utf8'));
          if (this.clientClosed) this.finish();
          else this.armLinger();
          break;
        }
        case 'DISCONNECT':
          this.log.info({}, 'backend sent DISCONNECT; dropping client');
          this.drop(false);
          return;
        case 'OPEN':
          this.log.warn({}, 'unexpected OPEN from backend; dropping client');
          this.drop(true);
          return;
      }
    }
  }

  private fromBackend(type: 'text' | 'binary', content: Buffer): void {
    if (this.detached) return;
    if (!this.grip) { this.toClient(type, content); return; }
    const a = classifyBackendMessage(type, content, this.grip.prefix);
    switch (a.kind) {
      case 'control':
        if (this.registered) this.ctx.wsControl?.grip(this.cid, a.json);
        else this.log.debug({}, 'control message but no handler link; ignored');
        return;
      case 'relay':
        this.toClient(type, a.content);
        return;
      case 'drop':
        this.log.debug({ bytes: content.length }, 'backend message without prefix dropped');
    }
  }

  private toClient(type: 'text' | 'binary' | 'ping' | 'pong', content: Buffer): void {
    if (this.cs.ended || this.phase !== 'open') return;
    if (type === 'ping') this.cs.ping(content);
    else if (type === 'pong') this.cs.pong(content);
    else this.cs.write(content, false, type);
    this.clientKa.touch();
  }

  /** After a normal request: close bookkeeping, then the next request or the keep-alive poll. */
  private afterRequest(inf: Inflight): void {
    if (this.clientClosed && this.closeSent && inf.events.some((e) => e.type === 'CLOSE')) {
      if (this.backendClosed) { this.finish(); return; }
      if (this.keepAliveInterval <= 0) {
        // §4.3: no CLOSE back and no polling: the connection is over
        this.log.debug({}, 'backend did not answer CLOSE; ending the connection');
        this.finish();
        return;
      }
    }
    this.pump();
    this.armKeepAlive();
  }

  // ---- client side ----------------------------------------------------------------------

  private onClientData(p: Packet): void {
    const b = p.body ?? EMPTY;
    this.clientIn += b.length;
    if (this.clientClosed || this.failing || this.phase !== 'open') { this.grantClient(); return; }
    if (!this.partial) this.partial = { type: p.contentType === 'binary' ? 'binary' : 'text', chunks: [], size: 0 };
    if (b.length) { this.partial.chunks.push(b); this.partial.size += b.length; }
    // §4.1: a single message that fills the queue can never be sent (and would stall credits)
    if (this.partial.size > MAX_REQUEST_CONTENT || (p.more === true && this.partial.size >= MAX_REQUEST_CONTENT)) {
      this.log.warn({ size: this.partial.size }, 'client message too large for WebSocket-over-HTTP; closing');
      this.partial = undefined;
      this.failClient(1009, 'message too big');
      return;
    }
    if (p.more === true) return;
    const m = this.partial;
    this.partial = undefined;
    const content = m.chunks.length === 1 ? m.chunks[0]! : Buffer.concat(m.chunks);
    if (this.detached || this.backendClosed) { this.grantClient(); return; }
    this.queue.push({ type: m.type === 'text' ? 'TEXT' : 'BINARY', content });
    this.pump();
  }

  private onClientControl(type: 'PING' | 'PONG', b: Buffer): void {
    this.clientIn += b.length;
    if (this.clientClosed || this.failing || this.phase !== 'open' || this.detached || this.backendClosed) { this.grantClient(); return; }
    this.queue.push(b.length ? { type, content: b } : { type });
    this.pump();
  }

  private onClientClose(code: number | undefined, reason: Buffer): void {
    if (this.clientClosed) return;
    this.clientClosed = true;
    if (this.phase !== 'open') { this.drop(true); return; }
    if (this.failing) { this.finish(); return; }
    if (this.detached) {
      // echo the close unless this is the answer to ours (handler `close`)
      if (!this.closedClient) this.cs.close(code, reason);
      this.finish();
      return;
    }
    const content = encodeCloseContent(code, reason.toString('utf8'));
    this.queue.push(code !== undefined ? { type: 'CLOSE', content } : { type: 'CLOSE' });
    this.pump();
    this.armLinger();
  }

  private onClientCredit(): void {
    if (this.destroyWhenDrained) { this.maybeDestroy(); return; }
    this.pump();
  }

  private onClientEnd(reason: EndReason): void {
    this.log.debug({ reason }, 'WebSocket client side ended');
    if (!this.finished && this.phase === 'open' && !this.detached && !(this.backendClosed && this.closeSent)) this.sendDisconnect();
    this.done();
  }

  /** Credits the connection manager for client bytes that left this process. */
  private grantClient(): void {
    if (this.finished || this.cs.ended || this.phase !== 'open') return;
    const held = this.queue.contentBytes + (this.partial?.size ?? 0);
    const consumed = this.clientIn - held;
    if (consumed > this.clientGranted) { this.cs.credit(consumed - this.clientGranted); this.clientGranted = consumed; }
  }

  /** Sends the next batch when nothing is in flight and the client can take a reply. */
  private pump(): void {
    if (this.finished || this.phase !== 'open' || this.inflight || this.retryTimer) return;
    if (this.cs.buffered >= CLIENT_BUFFER_MAX) return;
    if (this.queue.length === 0 && !this.refreshWanted) return;
    this.refreshWanted = false;
    const events = this.queue.take(this.target.oneEvent);
    this.sendRequest(events, 'normal');
    this.grantClient();
  }

  private armKeepAlive(): void {
    if (this.keepAliveTimer) { clearTimeout(this.keepAliveTimer); this.keepAliveTimer = undefined; }
    if (this.finished || this.keepAliveInterval <= 0 || this.detached) return;
    this.keepAliveTimer = setTimeout(this.guard(() => {
      this.keepAliveTimer = undefined;
      if (this.finished || this.inflight || this.retryTimer) return;
      if (this.phase === 'connecting') this.sendRequest([{ type: 'OPEN' }], 'open');
      else { this.refreshWanted = true; this.pump(); }
    }), this.keepAliveInterval * 1000);
  }

  private sendDisconnect(): void {
    try { this.sendRequest([{ type: 'DISCONNECT' }], 'disconnect'); } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot send DISCONNECT');
    }
  }

  // ---- handler items ----------------------------------------------------------------------

  onHandlerItem(it: WsControlItem): void {
    if (this.finished) return;
    switch (it.type) {
      case 'send': {
        const type = messageType(it.contentType);
        if (this.cs.buffered >= CLIENT_BUFFER_MAX && !it.queue) {
          this.log.debug({}, 'client busy; published message dropped');
          return;
        }
        this.toClient(type, it.message ?? EMPTY);
        return;
      }
      case 'close':
        if (this.clientClosed || this.closedClient) return;
        this.closedClient = true;
        this.cs.close(it.code, Buffer.from(it.reason ?? '', 'utf8'));
        // the client's answer goes to the backend as CLOSE (§7.3: the backend side is closed too)
        if (!this.detached) this.backendClosed = true;
        this.armLinger();
        return;
      case 'detach':
        this.detach();
        return;
      case 'keep-alive-setup':
        this.clientKa.setup(it);
        return;
      case 'refresh':
        this.refreshWanted = true;
        this.pump();
        return;
      case 'cancel':
        this.log.info({}, 'handler does not know this session; dropping client (it will need to retry)');
        this.drop(true);
        return;
      default:
        return;
    }
  }

  private detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.queue.clear();
    if (this.keepAliveTimer) { clearTimeout(this.keepAliveTimer); this.keepAliveTimer = undefined; }
    if (!this.backendClosed) {
      this.backendClosed = true;
      // §7.2: the backend side is closed with a CLOSE event without content
      this.sendRequest([{ type: 'CLOSE' }], 'disconnect');
    }
    this.grantClient();
  }

  // ---- ending ----------------------------------------------------------------------------

  private rejectError(detail: string): void {
    this.reject(textResponse(502, this.debug ? detail : MESSAGES.proxyError));
  }

  /** Refuses the handshake (zhttp.md §7: `rejected` error carrying the response). */
  private reject(r: ResponseData): void {
    if (!this.cs.ended) this.cs.error('rejected', { code: r.code, reason: r.reason, headers: r.headers, body: r.body });
    this.log.info({ uri: this.req.uri, route: this.route.id, code: r.code }, 'WebSocket-over-HTTP rejected');
    this.done();
  }

  /**
   * Closes the client with a code (bad client input); the backend is told DISCONNECT. The
   * session stays until the client answers the close (or the linger timer), swallowing data.
   */
  private failClient(code: number, reason: string): void {
    if (!this.cs.ended) this.cs.close(code, Buffer.from(reason));
    this.closedClient = true;
    if (!this.detached && !this.backendClosed) this.sendDisconnect();
    this.backendClosed = true;
    this.closeSent = true;
    this.failing = true;
    this.queue.clear();
    if (this.registered) this.ctx.wsControl?.unregister(this.cid);
    this.registered = false;
    this.armLinger();
    this.grantClient();
  }

  /** Drops the client without a close frame; `tellBackend`: send DISCONNECT. */
  private drop(tellBackend: boolean): void {
    if (this.finished) return;
    if (tellBackend && this.phase === 'open' && !this.detached && !(this.backendClosed && this.closeSent)) this.sendDisconnect();
    if (!this.cs.ended) this.cs.cancel();
    this.done();
  }

  private armLinger(): void {
    this.linger ??= setTimeout(this.guard(() => {
      if (this.finished) return;
      this.log.debug({}, 'WebSocket close not completed in time; dropping');
      this.drop(true);
    }), CLOSE_LINGER_MS);
  }

  /** Both sides are closed: forget the client session once its queue is on the wire. */
  private finish(): void {
    if (this.finished) return;
    this.destroyWhenDrained = true;
    this.done();
    this.maybeDestroy();
  }

  private maybeDestroy(): void {
    if (this.cs.ended) return;
    if (this.cs.buffered === 0) this.cs.destroy();
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.phase = 'done';
    for (const t of [this.keepAliveTimer, this.retryTimer, this.linger]) if (t) clearTimeout(t);
    this.clientKa.stop();
    const inf = this.inflight;
    this.inflight = undefined;
    if (inf && !inf.complete) { inf.complete = true; inf.zs.cancel(); }
    if (this.registered) this.ctx.wsControl?.unregister(this.cid);
    this.registered = false;
    if (this.reported) this.ctx.conns?.connClosed(this.cid, false);
    if (!this.destroyWhenDrained && !this.cs.ended) this.cs.cancel();
    this.ctx.onDone();
  }

  private guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return guarded(this.log, 'WebSocket-over-HTTP session failed; dropping it', () => {
      try { this.cs.cancel(); } catch { /* gone */ }
      this.done();
    }, fn);
  }
}
