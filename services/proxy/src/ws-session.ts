import { randomUUID } from 'node:crypto';
import type { HttpTarget, Route, Target } from '@pushpin-ts/config';
import { getHeaderValues } from '@pushpin-ts/grip';
import type { EndReason, Header, InitiatorSession, Packet, ResponderSession, ResponseData, WsControlItem } from '@pushpin-ts/zhttp';
import type { ClientRequest } from './client-request.js';
import { withoutHeaders } from './headers.js';
import type { Log } from './log.js';
import { MESSAGES, textResponse, upstreamErrorDetail } from './proxy-responses.js';
import type { SessionContext } from './proxy-session.js';
import { selectRoute } from './route-select.js';
import { targetHeaders, zurlFirstPacket } from './target-request.js';
import { testPath } from './test-target.js';
import { ClientKeepAlive, messageType } from './wsoh/client-keep-alive.js';
import { gripExtension, type GripExtension } from './wsoh/woh-http.js';
import { WohSession } from './wsoh/woh-session.js';
import type { WsControlTarget } from './wsoh/ws-control-link.js';
import { guarded } from './session-guard.js';

const WINDOW = 200_000;
/** How long one side may take to answer a close before both are dropped. */
const CLOSE_LINGER_MS = 5_000;
const CONNECT_FAILURES: ReadonlySet<string> = new Set(['remote-connection-failed', 'connection-timeout', 'tls-error']);
// Handshake headers the connection manager computes itself.
const NOT_RELAYED: ReadonlySet<string> = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'content-length', 'transfer-encoding']);
const EMPTY: Buffer = Buffer.alloc(0);
/** Client send queue size above which published messages are dropped. */
const CLIENT_BUFFER_MAX = 200_000;

type Phase = 'connecting' | 'open' | 'done';

/**
 * A passthrough WebSocket session (architecture.md §5.3, websocket-over-http.md §8): the
 * handshake goes to the route's target through zurl (offering the `grip` extension), then
 * messages, pings and closes are relayed both ways under credits. When the backend accepts
 * `grip`, its messages are filtered (§7.1: `c:` control messages go to the handler, the
 * message prefix is stripped) and the handler's published messages, keep-alives, detach and
 * close reach the client. The `test` target answers `/ws` with an echo socket; `over_http`
 * targets are handed to a {@link WohSession}.
 */
export class WsProxySession implements WsControlTarget {
  private phase: Phase = 'connecting';
  private route: Route | undefined;
  private targetIndex = -1;
  private readonly tried: string[] = [];
  private trusted = false;
  private zs: InitiatorSession | undefined;
  private echo = false;
  /** Message bytes received from each side / already credited back to it. */
  private clientIn = 0;
  private clientGranted = 0;
  private backendIn = 0;
  private backendGranted = 0;
  private clientClosed = false;
  private backendClosed = false;
  private closeToClient: { code: number | undefined; reason: Buffer } | undefined;
  private closeToBackend: { code: number | undefined; reason: Buffer } | undefined;
  private linger: NodeJS.Timeout | undefined;
  private finished = false;
  /** GRIP mode (backend accepted the extension) and its message prefix. */
  private grip: GripExtension | undefined;
  /** Connection id towards the handler (registered sessions only). */
  private cid: string | undefined;
  /** Id of this connection in stats `conn` packets (also the handler's connection id). */
  private statsId: string | undefined;
  /** A fragmented backend message in progress: relayed or dropped. */
  private backendMsg: 'relay' | 'drop' | undefined;
  /** Published messages marked `queue` that wait for a fragmented backend message to end. */
  private held: Array<{ type: 'text' | 'binary' | 'ping' | 'pong'; content: Buffer }> = [];
  private detached = false;
  /** The handler closed the connection: both sides were sent a close. */
  private handlerClosed = false;
  private clientKa: ClientKeepAlive | undefined;

  constructor(
    private readonly ctx: SessionContext,
    private readonly cs: ResponderSession,
    private readonly req: ClientRequest,
    private readonly log: Log,
  ) {}

  private get debug(): boolean { return this.ctx.settings.debug || (this.route?.debug ?? false); }

  /** Routes the handshake; `busy` rejects it with 503. The session is already acknowledged. */
  start(busy: boolean): void {
    const cs = this.cs;
    cs.ondata = this.guard((p: Packet) => this.onClientData(p));
    cs.onclose = this.guard((code: number | undefined, reason: Buffer) => this.onClientClose(code, reason));
    cs.onping = this.guard((b: Buffer) => { this.countClient(b.length); if (this.echo) cs.ping(b); else this.zs?.ping(b); this.grantClient(); });
    cs.onpong = this.guard((b: Buffer) => { this.countClient(b.length); if (!this.echo) this.zs?.pong(b); this.grantClient(); });
    cs.oncredit = this.guard(() => this.onClientCredit());
    cs.onend = this.guard((reason: EndReason) => this.onClientEnd(reason));
    if (busy) { this.reject(textResponse(503, MESSAGES.busy)); return; }
    const route = selectRoute(this.ctx, this.req);
    if (!route) {
      this.log.info({ host: this.req.host, path: this.req.path }, 'no route for WebSocket request');
      this.reject(textResponse(502, MESSAGES.routeNotFound));
      return;
    }
    this.route = route;
    this.trusted = this.ctx.signer.isTrusted(this.req.headers);
    this.nextTarget();
  }

  private nextTarget(): void {
    const route = this.route!;
    const target: Target | undefined = route.targets[++this.targetIndex];
    if (!target) { this.rejectError('Error: route has no targets'); return; }
    if (target.type === 'test') { this.startEcho(); return; }
    if (target.type === 'http' && target.overHttp) { this.handOverToWoh(); return; }
    if (target.type !== 'http') {
      const what = target.type;
      this.log.warn({ route: route.id, target: what }, 'WebSocket target type not supported by this proxy');
      this.rejectError(`Error: ${what} WebSocket targets are not supported.`);
      return;
    }
    this.openBackend(target);
  }

  /** WebSocket-over-HTTP target: a {@link WohSession} takes the client session over. */
  private handOverToWoh(): void {
    // the WOH session now owns the callbacks and the open-request accounting
    this.finished = true;
    this.phase = 'done';
    new WohSession(this.ctx, this.cs, this.req, this.log, this.route!, this.targetIndex, this.trusted).start();
  }

  private openBackend(t: HttpTarget): void {
    const route = this.route!;
    this.tried.push(`${t.host}:${t.port}`);
    const rewritten = targetHeaders({ req: this.req, route, target: t, trusted: this.trusted, internal: false, settings: this.ctx.settings, signer: this.ctx.signer }).headers;
    // §8: the client's extension offer is never forwarded; `grip` is offered when GRIP is on
    const headers: Header[] = rewritten.filter(([k]) => k.toLowerCase() !== 'sec-websocket-extensions');
    if (!route.noGrip) headers.push(['Sec-WebSocket-Extensions', 'grip']);
    const zs = this.ctx.zurl.open();
    this.zs = zs;
    zs.onresponse = this.guard((p: Packet) => { if (zs === this.zs) this.onBackendResponse(p); });
    zs.ondata = this.guard((p: Packet) => { if (zs === this.zs) this.onBackendData(p); });
    zs.onclose = this.guard((code: number | undefined, reason: Buffer) => { if (zs === this.zs) this.onBackendClose(code, reason); });
    zs.onping = this.guard((b: Buffer) => { if (zs !== this.zs) return; this.backendIn += b.length; this.cs.ping(b); this.grantBackend(); });
    zs.onpong = this.guard((b: Buffer) => { if (zs !== this.zs) return; this.backendIn += b.length; this.cs.pong(b); this.grantBackend(); });
    zs.oncredit = this.guard(() => { if (zs === this.zs) { this.grantClient(); this.flushCloses(); } });
    zs.onend = this.guard((reason: EndReason, p?: Packet) => { if (zs === this.zs) this.onBackendEnd(reason, p); });
    const first = zurlFirstPacket(this.req, route, t, headers);
    this.log.debug({ uri: first.uri, connect: `${t.host}:${t.port}` }, 'WebSocket to target');
    zs.start(first);
  }

  private startEcho(): void {
    const path = testPath(this.req.path, this.route!.pathBeg);
    this.tried.push('test');
    if (path !== '/ws') {
      this.reject(textResponse(404, 'no such test resource'));
      return;
    }
    this.echo = true;
    this.phase = 'open';
    this.cs.respond({ code: 101, reason: 'Switching Protocols', headers: [] }, EMPTY, false, { credits: WINDOW });
    this.reportOpen();
  }

  /** Stats `conn` for the connection, by a fresh connection id (Pushpin reports every WebSocket so). */
  private reportOpen(): string {
    const id = randomUUID();
    this.statsId = id;
    this.ctx.conns?.connOpened(id, 'ws', this.req.peerAddress, this.req.isTls);
    return id;
  }

  // ---- handshake answer ------------------------------------------------------------------

  private onBackendResponse(p: Packet): void {
    const code = p.code ?? 0;
    if (code !== 101) {
      this.reject({ code, reason: p.reason ?? '', headers: p.headers ?? [], body: p.body ?? EMPTY });
      return;
    }
    this.phase = 'open';
    const route = this.route!;
    const backendHeaders = p.headers ?? [];
    const ext = gripExtension(getHeaderValues(backendHeaders, 'Sec-WebSocket-Extensions'));
    if (ext && !route.noGrip && !this.trusted) this.grip = ext;
    // §8: the grip extension is shown only to a trusted upstream proxy
    let headers = withoutHeaders(backendHeaders, NOT_RELAYED);
    if (!this.trusted) headers = headers.filter(([k]) => k.toLowerCase() !== 'sec-websocket-extensions');
    this.cs.respond({ code: 101, reason: p.reason ?? 'Switching Protocols', headers }, EMPTY, false, { credits: WINDOW });
    this.log.info({ uri: this.req.uri, route: route.id, target: this.tried.at(-1), grip: this.grip !== undefined }, 'WebSocket connected');
    const connId = this.reportOpen();
    const target = route.targets[this.targetIndex];
    const subs = target?.type === 'http' ? target.subs : [];
    const link = this.ctx.wsControl;
    if (link?.enabled && (this.grip || subs.length)) {
      this.cid = connId;
      this.clientKa = new ClientKeepAlive(
        (type, content) => { if (this.cs.buffered < CLIENT_BUFFER_MAX) this.toClient(type, content); },
        (fn) => this.guard(fn),
        () => link.needKeepAlive(connId),
      );
      link.register(this.cid, {
        uri: this.req.uri, route: route.id, channelPrefix: route.prefix, debug: this.debug, trusted: this.trusted,
        ...(route.logLevel !== undefined ? { logLevel: route.logLevel } : {}),
      }, this);
      for (const ch of subs) link.subscribe(this.cid, ch);
    }
  }

  private onBackendEnd(reason: EndReason, p?: Packet): void {
    this.zs = undefined;
    if (this.phase === 'open' && this.detached) return;
    if (this.phase === 'open') {
      this.log.info({ reason, condition: p?.condition }, 'WebSocket backend side ended');
      this.cs.cancel();
      this.done();
      return;
    }
    if (this.phase !== 'connecting') return;
    const condition = reason === 'error' ? (p?.condition ?? 'undefined-condition') : reason === 'expired' ? undefined : reason;
    if (condition === 'rejected' && p) {
      this.reject({ code: p.code ?? 502, reason: p.reason ?? 'Bad Gateway', headers: p.headers ?? [], body: p.body ?? EMPTY });
      return;
    }
    if (condition !== undefined && CONNECT_FAILURES.has(condition) && this.targetIndex + 1 < this.route!.targets.length) {
      this.nextTarget();
      return;
    }
    this.log.warn({ condition: condition ?? 'timeout', tried: this.tried }, 'error while proxying WebSocket to origin');
    this.rejectError(upstreamErrorDetail(condition, this.tried));
  }

  private rejectError(detail: string): void {
    this.reject(textResponse(502, this.debug ? detail : MESSAGES.proxyError));
  }

  /** Refuses the handshake with an HTTP response (zhttp.md §7: `rejected` error). */
  private reject(r: ResponseData): void {
    this.closeBackend();
    if (!this.cs.ended) this.cs.error('rejected', { code: r.code, reason: r.reason, headers: r.headers, body: r.body });
    this.log.info({ uri: this.req.uri, route: this.route?.id, code: r.code }, 'WebSocket rejected');
    this.done();
  }

  // ---- messages ----------------------------------------------------------------------------

  private countClient(n: number): void { this.clientIn += n; }

  private onClientData(p: Packet): void {
    const b = p.body ?? EMPTY;
    this.countClient(b.length);
    if (this.clientClosed) return;
    if (this.echo) this.cs.write(b, p.more === true, p.contentType);
    else if (!this.detached) this.zs?.write(b, p.more === true, p.contentType);
    this.grantClient();
  }

  private onBackendData(p: Packet): void {
    const b = p.body ?? EMPTY;
    const more = p.more === true;
    this.backendIn += b.length;
    if (this.detached) { this.grantBackend(); return; }
    if (!this.grip) {
      this.cs.write(b, more, p.contentType);
      this.clientKa?.touch();
    } else {
      this.gripBackendData(b, more, p.contentType);
    }
    this.grantBackend();
  }

  /** §7.1: control messages to the handler, prefixed messages relayed without the prefix. */
  private gripBackendData(b: Buffer, more: boolean, contentType: 'text' | 'binary' | undefined): void {
    if (this.backendMsg !== undefined) {
      // continuation of a fragmented message
      if (this.backendMsg === 'relay') this.cs.write(b, more);
      if (!more) this.endBackendMessage();
      return;
    }
    const type = contentType ?? 'text';
    if (type === 'text' && b.length >= 2 && b[0] === 0x63 && b[1] === 0x3a) {
      // a multi-frame control message is ignored entirely
      if (more) { this.backendMsg = 'drop'; return; }
      if (this.cid) this.ctx.wsControl?.grip(this.cid, b.subarray(2));
      return;
    }
    const prefix = Buffer.from(this.grip!.prefix, 'utf8');
    if (b.length < prefix.length || !b.subarray(0, prefix.length).equals(prefix)) {
      this.log.debug({ bytes: b.length }, 'backend message without prefix dropped');
      if (more) this.backendMsg = 'drop';
      return;
    }
    this.cs.write(b.subarray(prefix.length), more, type);
    this.clientKa?.touch();
    if (more) this.backendMsg = 'relay';
  }

  private endBackendMessage(): void {
    this.backendMsg = undefined;
    for (const h of this.held.splice(0)) this.toClient(h.type, h.content);
  }

  private toClient(type: 'text' | 'binary' | 'ping' | 'pong', content: Buffer): void {
    if (this.cs.ended || this.phase !== 'open' || this.clientClosed) return;
    if (type === 'ping') this.cs.ping(content);
    else if (type === 'pong') this.cs.pong(content);
    else this.cs.write(content, false, type);
    this.clientKa?.touch();
  }

  // ---- handler items ------------------------------------------------------------------------

  onHandlerItem(it: WsControlItem): void {
    if (this.finished) return;
    switch (it.type) {
      case 'send': {
        const type = messageType(it.contentType);
        const content = it.message ?? EMPTY;
        // §7.3: dropped while a backend message is being relayed in fragments or the client is busy,
        // unless marked `queue` (send-delayed), which waits for the fragmented message to end
        if (this.backendMsg === 'relay') {
          if (it.queue) this.held.push({ type, content });
          return;
        }
        if (this.cs.buffered >= CLIENT_BUFFER_MAX && !it.queue) return;
        this.toClient(type, content);
        return;
      }
      case 'close':
        if (this.clientClosed || this.handlerClosed) return;
        this.handlerClosed = true;
        this.closeToClient = { code: it.code, reason: Buffer.from(it.reason ?? '', 'utf8') };
        if (!this.backendClosed && !this.detached) this.closeToBackend = { code: it.code, reason: Buffer.from(it.reason ?? '', 'utf8') };
        else this.backendClosed = true;
        this.flushCloses();
        this.armLinger();
        return;
      case 'detach':
        this.detach();
        return;
      case 'keep-alive-setup':
        this.clientKa?.setup(it);
        return;
      case 'cancel':
        this.log.info({ cid: this.cid }, 'handler does not know this session; dropping client (it will need to retry)');
        this.closeBackend();
        this.cs.cancel();
        this.done();
        return;
      default:
        return;
    }
  }

  /** §7.2 detach: the backend side is closed, the client stays and only gets publishes. */
  private detach(): void {
    if (this.detached || this.backendClosed) return;
    this.detached = true;
    this.backendClosed = true;
    this.backendMsg = undefined;
    this.held = [];
    const zs = this.zs;
    if (zs && !zs.ended) zs.close();
    this.grantClient();
  }

  /** Credits condure for message bytes that left this process. */
  private grantClient(): void {
    if (this.finished || this.phase !== 'open') return;
    const pending = this.echo ? this.cs.buffered : (this.zs?.buffered ?? 0);
    const consumed = this.clientIn - pending;
    if (consumed > this.clientGranted) { this.cs.credit(consumed - this.clientGranted); this.clientGranted = consumed; }
  }

  /** Credits zurl for message bytes condure has taken. */
  private grantBackend(): void {
    const zs = this.zs;
    if (!zs || zs.ended) return;
    const consumed = this.backendIn - this.cs.buffered;
    if (consumed > this.backendGranted) { zs.credit(consumed - this.backendGranted); this.backendGranted = consumed; }
  }

  private onClientCredit(): void {
    if (this.echo) this.grantClient();
    else this.grantBackend();
    this.flushCloses();
  }

  // ---- closing -------------------------------------------------------------------------------

  private onClientClose(code: number | undefined, reason: Buffer): void {
    this.clientClosed = true;
    if (this.echo || this.detached) { this.closeToClient = { code, reason }; this.backendClosed = true; }
    else if (!this.handlerClosed) this.closeToBackend = { code, reason };
    this.flushCloses();
    this.armLinger();
  }

  private onBackendClose(code: number | undefined, reason: Buffer): void {
    if (this.detached) {
      // the backend answered our detach close: that side is over
      this.zs?.destroy();
      this.zs = undefined;
      return;
    }
    this.backendClosed = true;
    if (!this.handlerClosed) this.closeToClient = { code, reason };
    this.flushCloses();
    this.armLinger();
  }

  /** Sends a relayed close once the messages queued before it have gone out. */
  private flushCloses(): void {
    if (this.finished) return;
    if (this.closeToBackend && this.zs && this.zs.buffered === 0) {
      const c = this.closeToBackend;
      this.closeToBackend = undefined;
      this.zs.close(c.code, c.reason);
    }
    if (this.closeToClient && this.cs.buffered === 0) {
      const c = this.closeToClient;
      this.closeToClient = undefined;
      this.cs.close(c.code, c.reason);
    }
    if (this.clientClosed && this.backendClosed && !this.closeToBackend && !this.closeToClient) {
      this.zs?.destroy();
      this.zs = undefined;
      this.cs.destroy();
      this.done();
    }
  }

  private armLinger(): void {
    this.linger ??= setTimeout(this.guard(() => {
      if (this.finished) return;
      this.log.debug({}, 'WebSocket close not answered in time; dropping both sides');
      this.closeBackend();
      this.cs.cancel();
      this.done();
    }), CLOSE_LINGER_MS);
  }

  private onClientEnd(reason: EndReason): void {
    this.log.debug({ reason }, 'WebSocket client side ended');
    this.closeBackend();
    this.done();
  }

  private closeBackend(): void {
    const zs = this.zs;
    this.zs = undefined;
    if (zs && !zs.ended) zs.cancel();
  }

  private done(): void {
    if (this.finished) return;
    this.finished = true;
    this.phase = 'done';
    if (this.linger) clearTimeout(this.linger);
    this.clientKa?.stop();
    if (this.cid) this.ctx.wsControl?.unregister(this.cid);
    if (this.statsId) this.ctx.conns?.connClosed(this.statsId, false);
    this.closeBackend();
    this.ctx.onDone();
  }

  private guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return guarded(this.log, 'WebSocket session failed; cancelling it', () => {
      try { this.closeBackend(); this.cs.cancel(); } catch { /* gone */ }
      this.done();
    }, fn);
  }
}

