import type { HttpTarget, Route, RouteTable, Target, ZhttpReqTarget, ZhttpTarget } from '@pushpin-ts/config';
import { isGripResponse, statusReason } from '@pushpin-ts/grip';
import { withCors } from './cors.js';
import type { AcceptArgs, EndReason, Header, InitiatorSession, Packet, ResponderSession, ResponseData, ZhttpInitiator } from '@pushpin-ts/zhttp';
import { parseClientRequest, type ClientRequest } from './client-request.js';
import { buildAcceptArgs, handOff, type AcceptService, type HandoffOutcome } from './grip-handoff.js';
import type { GripSigner } from './grip-signing.js';
import type { Log } from './log.js';
import { MESSAGES, textResponse, upstreamErrorDetail } from './proxy-responses.js';
import { RequestBody } from './request-body.js';
import { selectRoute } from './route-select.js';
import { relayResponseHeaders } from './request-rewrite.js';
import type { ProxySettings } from './settings.js';
import { targetHeaders, zurlFirstPacket } from './target-request.js';
import { testTargetResponse, TEST_MAX_BODY } from './test-target.js';
import { WsProxySession } from './ws-session.js';
import { customFirstPacket, type CustomTargets, failureStatus, type ReqFailure } from './zhttp-target.js';
import { isWsEventsRequest } from './wsoh/woh-http.js';
import type { WsControlLink } from './wsoh/ws-control-link.js';

/** Receive window granted to condure for request bodies and to zurl for response bodies. */
export const WINDOW = 200_000;
/** Largest request body replayed/handed over and largest GRIP response body (grip.md §3). */
export const BUFFER_MAX = 100_000;
/** zurl conditions after which the next target is tried (grip.md §10). */
const CONNECT_FAILURES: ReadonlySet<string> = new Set(['remote-connection-failed', 'connection-timeout', 'tls-error']);
const EMPTY: Buffer = Buffer.alloc(0);

/** What every session shares: settings, routes, the zurl initiator, the handler's accept. */
export interface SessionContext {
  readonly log: Log;
  readonly settings: ProxySettings;
  routes(): RouteTable;
  readonly signer: GripSigner;
  readonly zurl: ZhttpInitiator;
  readonly accept: AcceptService | undefined;
  /**
   * Called once when the session is over (open-request count, stats.ts): the status sent, the
   * request body bytes from the client, the response body bytes relayed from the backend.
   */
  onDone(code?: number, requestBodyBytes?: number, responseBodyBytes?: number): void;
  /** Called by selectRoute when the session is matched to a route (stats.ts). */
  onRoute?(route: Route): void;
  /** Sockets of `zhttp/` and `zhttpreq/` route targets; undefined = such targets answer 502. */
  readonly custom?: CustomTargets | undefined;
  /** WS-control link to the handler (GRIP WebSocket sessions); undefined = none. */
  readonly wsControl?: WsControlLink | undefined;
  /** Stats `conn` packets of client connections (stats.ts); undefined for internal requests. */
  readonly conns?: ConnReporter | undefined;
}

/**
 * Client connections as Pushpin's proxy reports them: HTTP ones by `<connmgr id>:<session id>`,
 * WebSockets by their connection id (Connection-Id); `handedOff` when the handler took it over.
 */
export interface ConnReporter {
  connOpened(id: string, type: 'http' | 'ws', peerAddress: string | undefined, ssl: boolean): void;
  connClosed(id: string, handedOff: boolean): void;
}

type Phase =
  | 'start' | 'test-wait-body' | 'req-wait-body' | 'req-waiting' | 'forwarding' | 'relaying'
  | 'grip-buffering' | 'grip-wait-body' | 'handoff' | 'finishing' | 'done';

/**
 * One client HTTP session (ZHTTP responder side towards condure, or towards the handler for
 * internal requests): routes it, forwards it to the route's targets through zurl (or answers
 * from the test target), then relays the response under credits or hands a GRIP response to
 * the handler. Callbacks never throw: a failure cancels the session and is logged.
 */
export class ProxySession {
  private phase: Phase = 'start';
  private req!: ClientRequest;
  private route: Route | undefined;
  private target: Target | undefined;
  private targetIndex = -1;
  private readonly tried: string[] = [];
  private readonly body = new RequestBody(BUFFER_MAX);
  private firstBody: Buffer = EMPTY;
  /** Request bytes consumed and already credited back to the client. */
  private clientGranted = 0;
  private outHeaders: Header[] = [];
  private logicalPeer: string | undefined;
  private trusted = false;
  private zs: InitiatorSession | undefined;
  /** Response bytes received from zurl / credited back to zurl. */
  private respIn = 0;
  private backendGranted = 0;
  private grip: { head: ResponseData; chunks: Buffer[]; size: number } | undefined;
  private code: number | undefined;
  private finished = false;
  /** The handler accepted the session (it reports the connection from then on). */
  private handedOff = false;
  /** Custom targets: cancels the pending req-mode request / the answer-start timer. */
  private reqCancel: (() => void) | undefined;
  private answerTimer: NodeJS.Timeout | undefined;
  private sessionLog: Log | undefined;

  /**
   * @param internal a handler-originated request (intreq): never handed off
   * @param retried a session the handler gave back (`retry` packet): routed by the named route,
   *   handed off again with `is-retry`
   */
  constructor(
    private readonly ctx: SessionContext, private readonly cs: ResponderSession,
    private readonly internal = false, private readonly retried = false,
  ) {}

  /** The session's child logger, made on first use (most sessions never log at the default level). */
  private get log(): Log { return (this.sessionLog ??= this.ctx.log.child({ rid: this.cs.id, from: this.cs.peerId })); }

  /** Debug line through the session logger, without making it when debug is off. */
  private logDebug(obj: object, msg: string): void {
    if (this.ctx.log.isLevelEnabled?.('debug') === false) return;
    this.log.debug(obj, msg);
  }

  private get debug(): boolean { return this.ctx.settings.debug || (this.route?.debug ?? false); }

  /** The connection's id in stats `conn` packets. */
  private get connId(): string { return `${this.cs.peerId}:${this.cs.id}`; }

  /** Acknowledges the session, then routes and forwards it. `busy`: answer 503 at once. */
  start(busy = false): void {
    this.guard(() => this.begin(busy))();
  }

  private begin(busy: boolean): void {
    const cs = this.cs;
    const p = cs.request!;
    cs.ondata = this.guard((q: Packet) => this.onClientData(q));
    cs.oncredit = this.guard(() => this.onClientCredit());
    cs.onend = this.guard((reason: EndReason) => this.onClientEnd(reason));
    try {
      this.req = parseClientRequest(p, this.ctx.settings.acceptXForwardedProtocol);
    } catch (err) {
      this.log.warn({ uri: p.uri, err: (err as Error).message }, 'bad request from connection manager; cancelling');
      cs.cancel();
      this.done();
      return;
    }
    if (this.internal || this.retried) {
      const named = passthroughRoute(p.passthrough);
      if (named !== undefined) this.req.routeId = named;
    }
    if (!p.stream && !this.req.isWebSocket) cs.ignoreCredits = true;
    this.firstBody = p.body ?? EMPTY;
    this.body.add(this.firstBody, p.more === true);
    this.clientGranted = this.firstBody.length;
    // zhttp.md §4.2: ack at once; grant the window when the body is still coming
    if (p.more === true && WINDOW > this.firstBody.length) cs.credit(WINDOW - this.firstBody.length);
    else cs.keepAlive();

    if (this.req.isWebSocket && !this.internal) {
      // the WebSocket session takes over the callbacks and the open-request accounting
      new WsProxySession(this.ctx, cs, this.req, this.log).start(busy);
      return;
    }
    if (this.req.isWebSocket) {
      this.log.warn({ uri: this.req.uri }, 'internal WebSocket request refused');
      cs.cancel();
      this.done();
      return;
    }
    this.ctx.conns?.connOpened(this.connId, 'http', this.req.peerAddress, this.req.isTls);
    if (busy) {
      this.log.warn({ uri: this.req.uri }, 'max_open_requests reached; answering 503');
      this.respondText(503, MESSAGES.busy);
      return;
    }
    const route = selectRoute(this.ctx, this.req);
    if (!route) {
      this.log.info({ host: this.req.host, path: this.req.path }, 'no route for request');
      this.respondText(502, MESSAGES.routeNotFound);
      return;
    }
    this.route = route;
    this.trusted = !this.internal && this.ctx.signer.isTrusted(this.req.headers);
    this.nextTarget();
  }

  // ---- targets -------------------------------------------------------------------------

  private nextTarget(): void {
    const route = this.route!;
    this.targetIndex++;
    const target = route.targets[this.targetIndex];
    this.target = target;
    if (!target) { this.respondError('Error: route has no targets'); return; }
    const rw = targetHeaders({
      // a retried session's headers come from the handler (Grip-Last added, client Grip-* already removed)
      req: this.req, route, target, trusted: this.trusted, internal: this.internal || this.retried, settings: this.ctx.settings, signer: this.ctx.signer,
    });
    this.outHeaders = rw.headers;
    this.logicalPeer = rw.logicalPeer;
    switch (target.type) {
      case 'test':
        this.phase = 'test-wait-body';
        this.maybeRunTest();
        return;
      case 'http':
        if (target.overHttp && !this.trusted && !this.internal && isWsEventsRequest(this.req.headers)) {
          // websocket-over-http.md §1: clients may not speak the events protocol themselves
          this.respondText(403, 'Client not allowed to send WebSocket events directly.');
          return;
        }
        this.openBackend(target);
        return;
      case 'zhttp':
        if (this.ctx.custom) { this.openCustomStream(target); return; }
        this.log.warn({ route: route.id, target: target.type }, 'route target type not supported by this proxy');
        this.respondError(`Error: ${target.type} targets are not supported.`);
        return;
      case 'zhttpreq':
        if (this.ctx.custom) { this.phase = 'req-wait-body'; this.maybeRunReq(target); return; }
        this.log.warn({ route: route.id, target: target.type }, 'route target type not supported by this proxy');
        this.respondError(`Error: ${target.type} targets are not supported.`);
        return;
      default:
        this.log.warn({ route: route.id, target: (target as Target).type }, 'route target type not supported by this proxy');
        this.respondError(`Error: ${(target as Target).type} targets are not supported.`);
    }
  }

  // ---- custom ZHTTP targets (zhttp-target.ts) ------------------------------------------

  /** `zhttp/`: the same stream session as towards zurl, on the target's own sockets. */
  private openCustomStream(t: ZhttpTarget): void {
    const ep = this.ctx.custom!.stream(t);
    this.phase = 'forwarding';
    this.tried.push(`zhttp/${t.spec}`);
    this.startAnswerTimer(t.spec);
    void ep.ready.then(this.guard((ok: boolean) => {
      if (this.finished || this.phase !== 'forwarding' || this.zs) return;
      if (!ok) { this.respondError(`Error: cannot bind zhttp/${t.spec}`); return; }
      // body that arrived while the sockets were being bound goes in the first packet
      if (this.body.overflow) { this.respondError(`Error: request body too large to start zhttp/${t.spec}`); return; }
      const first = customFirstPacket(this.req, this.route!, this.outHeaders);
      const initial = this.body.copy();
      if (initial.length) first.body = initial;
      if (!this.body.done) first.more = true;
      this.startBackendSession(ep.initiator.open(), first);
    }));
  }

  /** `zhttpreq/`: one request with the whole body, one complete answer. */
  private maybeRunReq(t: ZhttpReqTarget): void {
    if (!this.body.done && !this.body.overflow) return;
    if (this.body.overflow) { this.respondText(413, 'Request too large for a zhttpreq target.'); return; }
    this.phase = 'req-waiting';
    this.tried.push(`zhttpreq/${t.spec}`);
    const first = customFirstPacket(this.req, this.route!, this.outHeaders);
    const req = { method: first.method!, uri: first.uri!, headers: first.headers!, body: this.body.copy() };
    this.reqCancel = this.ctx.custom!.request(t, req, this.guard((r: { response: ResponseData } | { failure: ReqFailure; detail: string }) => {
      this.reqCancel = undefined;
      if (this.finished || this.phase !== 'req-waiting') return;
      if ('failure' in r) {
        this.log.warn({ target: `zhttpreq/${t.spec}`, failure: r.failure, detail: r.detail }, 'custom zhttpreq handler failed');
        this.respondText(failureStatus(r.failure), this.debug ? r.detail : MESSAGES.proxyError);
        return;
      }
      this.onCustomAnswer(r.response);
    }));
  }

  /** A complete answer from a req-mode handler: GRIP handoff or relay, as for HTTP backends. */
  private onCustomAnswer(resp: ResponseData): void {
    if (this.gripApplies(resp.headers)) {
      this.grip = { head: { ...resp, body: EMPTY }, chunks: [resp.body], size: resp.body.length };
      if (this.grip.size > BUFFER_MAX) { this.respondError(`GRIP instruct response too large from ${this.tried.at(-1)}`); return; }
      this.gripResponseComplete();
      return;
    }
    let headers = relayResponseHeaders(resp.headers);
    if (this.ctx.settings.autoCrossOrigin || this.route!.aco) headers = withCors(headers, this.req.headers);
    this.respond({ ...resp, headers });
  }

  /** A custom handler must start answering within the timeout, or the client gets 502. */
  private startAnswerTimer(spec: string): void {
    const ms = this.ctx.custom!.timeoutMs;
    this.answerTimer = setTimeout(this.guard(() => {
      this.answerTimer = undefined;
      if (this.finished || this.phase !== 'forwarding') return;
      this.log.warn({ target: `zhttp/${spec}`, ms }, 'custom zhttp handler did not answer in time');
      this.respondText(502, this.debug ? `Error: no answer from zhttp/${spec} within ${ms} ms` : MESSAGES.proxyError);
    }), ms);
  }

  private stopAnswerTimer(): void {
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.answerTimer = undefined;
  }

  private openBackend(t: HttpTarget): void {
    const retry = this.tried.length > 0;
    this.tried.push(`${t.host}:${t.port}`);
    const first = zurlFirstPacket(this.req, this.route!, t, this.outHeaders);
    const initial = retry ? this.body.copy() : this.firstBody;
    if (initial.length) first.body = initial;
    if (!this.body.done) first.more = true;
    this.logDebug({ uri: first.uri, connect: `${t.host}:${t.port}` }, 'forwarding to target');
    this.startBackendSession(this.ctx.zurl.open(), first);
  }

  /** Starts the backend side of the session (zurl or a `zhttp/` handler) with its first packet. */
  private startBackendSession(zs: InitiatorSession, first: Omit<Packet, 'from' | 'id' | 'seq'>): void {
    this.zs = zs;
    this.respIn = 0;
    this.backendGranted = 0;
    zs.onresponse = this.guard((p: Packet) => { if (zs === this.zs) this.onBackendResponse(p); });
    zs.ondata = this.guard((p: Packet) => { if (zs === this.zs) this.onBackendData(p); });
    zs.oncredit = this.guard(() => { if (zs === this.zs) this.grantClient(); });
    zs.onend = this.guard((reason: EndReason, p?: Packet) => { if (zs === this.zs) this.onBackendEnd(reason, p); });
    this.phase = 'forwarding';
    zs.start(first);
  }

  private maybeRunTest(): void {
    if (this.body.total <= TEST_MAX_BODY && !this.body.done) return;
    const resp = testTargetResponse({ path: this.req.path, query: this.req.query, bodyLength: this.body.total }, this.route!.pathBeg);
    this.tried.push('test');
    if (this.gripApplies(resp.headers)) {
      this.grip = { head: resp, chunks: [resp.body], size: resp.body.length };
      this.gripResponseComplete();
    } else {
      this.respond(resp);
    }
  }

  private gripApplies(headers: readonly Header[]): boolean {
    if (this.internal || this.trusted || this.route!.noGrip) return false;
    if (this.target?.type === 'http' && this.target.untrusted) return false;
    return isGripResponse(headers as Header[]);
  }

  // ---- client side ---------------------------------------------------------------------

  private onClientData(p: Packet): void {
    const b = p.body ?? EMPTY;
    const more = p.more === true;
    if (this.body.done) return;
    this.body.add(b, more);
    switch (this.phase) {
      case 'test-wait-body':
        this.maybeRunTest();
        this.grantClient();
        return;
      case 'req-wait-body':
        this.grantClient();
        if (this.target?.type === 'zhttpreq') this.maybeRunReq(this.target);
        return;
      case 'forwarding':
      case 'relaying':
      case 'grip-buffering':
        this.zs?.write(b, more);
        this.grantClient();
        return;
      case 'grip-wait-body':
        this.grantClient();
        if (this.body.done || this.body.overflow) this.gripResponseComplete();
        return;
      default:
        return;
    }
  }

  /** Credits the client for request bytes that left this process (bounded memory). */
  private grantClient(): void {
    if (this.finished || this.phase === 'handoff' || this.phase === 'finishing' || this.body.done || this.cs.ended) return;
    const pending = this.zs && !this.zs.ended ? this.zs.buffered : 0;
    const consumed = this.body.total - pending;
    if (consumed > this.clientGranted) {
      this.cs.credit(consumed - this.clientGranted);
      this.clientGranted = consumed;
    }
  }

  private onClientCredit(): void {
    if (this.phase === 'relaying') this.grantBackend();
    else if (this.phase === 'finishing') this.maybeFinish();
  }

  private onClientEnd(reason: EndReason): void {
    this.logDebug({ reason, phase: this.phase }, 'client session ended');
    this.closeBackend(true);
    this.done();
  }

  // ---- backend side --------------------------------------------------------------------

  private onBackendResponse(p: Packet): void {
    this.stopAnswerTimer();
    const code = p.code ?? 200;
    const head: ResponseData = { code, reason: p.reason ?? statusReason(code), headers: p.headers ?? [], body: EMPTY };
    const b = p.body ?? EMPTY;
    const more = p.more === true;
    if (this.gripApplies(head.headers)) {
      this.phase = 'grip-buffering';
      this.grip = { head, chunks: [], size: 0 };
      this.addGripBody(b, more);
      return;
    }
    this.phase = 'relaying';
    this.code = code;
    this.respIn = b.length;
    let headers = relayResponseHeaders(head.headers);
    if (this.ctx.settings.autoCrossOrigin || this.route!.aco) headers = withCors(headers, this.req.headers);
    this.cs.respond({ code, reason: head.reason, headers }, b, more);
    if (!more) this.backendComplete();
    else this.grantBackend();
  }

  private onBackendData(p: Packet): void {
    const b = p.body ?? EMPTY;
    const more = p.more === true;
    if (this.phase === 'grip-buffering') { this.addGripBody(b, more); return; }
    if (this.phase !== 'relaying') return;
    this.respIn += b.length;
    this.cs.write(b, more);
    if (!more) this.backendComplete();
    else this.grantBackend();
  }

  /** Credits zurl for response bytes condure has taken (bounded memory). */
  private grantBackend(): void {
    const zs = this.zs;
    if (!zs || zs.ended) return;
    const consumed = this.respIn - this.cs.buffered;
    if (consumed > this.backendGranted) {
      zs.credit(consumed - this.backendGranted);
      this.backendGranted = consumed;
    }
  }

  private onBackendEnd(reason: EndReason, p?: Packet): void {
    this.zs = undefined;
    const condition = reason === 'error' ? (p?.condition ?? 'undefined-condition') : reason === 'expired' ? undefined : reason;
    if (this.phase === 'relaying') {
      const detail = upstreamErrorDetail(condition, this.tried);
      this.log.warn({ condition, target: this.tried.at(-1) }, 'backend failed after the response started');
      if (this.debug) {
        this.cs.write(Buffer.from(`\n\n${detail}\n`), false);
        this.finish();
      } else {
        this.cs.cancel();
        this.done();
      }
      return;
    }
    if (this.phase !== 'forwarding' && this.phase !== 'grip-buffering') return;
    const route = this.route!;
    if (this.phase === 'forwarding' && condition !== undefined && CONNECT_FAILURES.has(condition)
      && this.targetIndex + 1 < route.targets.length && !this.body.overflow) {
      this.log.info({ condition, target: this.tried.at(-1) }, 'target failed; trying the next one');
      this.nextTarget();
      return;
    }
    this.log.warn({ condition: condition ?? 'timeout', tried: this.tried }, 'error while proxying to origin');
    if (condition === 'length-required') this.respondText(411, MESSAGES.lengthRequired);
    else this.respondError(upstreamErrorDetail(condition, this.tried));
  }

  /** The backend side is finished: forget it, telling zurl to stop if it may still work. */
  private closeBackend(cancel: boolean): void {
    const zs = this.zs;
    this.zs = undefined;
    if (!zs || zs.ended) return;
    if (cancel || !this.body.done || zs.buffered > 0) zs.cancel();
    else zs.destroy();
  }

  private backendComplete(): void {
    this.closeBackend(false);
    this.finish();
  }

  // ---- GRIP ----------------------------------------------------------------------------

  private addGripBody(b: Buffer, more: boolean): void {
    const g = this.grip!;
    if (b.length) { g.chunks.push(b); g.size += b.length; }
    if (g.size > BUFFER_MAX) {
      this.log.warn({ target: this.tried.at(-1), size: g.size }, 'GRIP instruct response too large');
      this.respondError(`GRIP instruct response too large from ${this.tried.at(-1) ?? 'target'}`);
      return;
    }
    if (more) return;
    this.closeBackend(false);
    this.gripResponseComplete();
  }

  private gripResponseComplete(): void {
    if (this.body.overflow) { this.respondText(400, MESSAGES.requestTooLargeForGrip); return; }
    if (!this.body.done) { this.phase = 'grip-wait-body'; this.grantClient(); return; }
    if (!this.ctx.accept) {
      this.log.warn({}, 'GRIP response but no accept service configured');
      this.respondText(500, MESSAGES.acceptUnavailable);
      return;
    }
    this.phase = 'handoff';
    const g = this.grip!;
    const response: ResponseData = { code: g.head.code, reason: g.head.reason, headers: g.head.headers, body: Buffer.concat(g.chunks) };
    handOff(this.cs, this.ctx.accept, () => this.acceptArgs(response), this.guard((o: HandoffOutcome) => this.onHandoff(o, response)));
  }

  /** Accept arguments from the session state at handoff-proceed time. */
  private acceptArgs(response: ResponseData): AcceptArgs {
    const route = this.route!;
    const sig = this.ctx.signer.settingsFor(route);
    return buildAcceptArgs({
      session: { peerId: this.cs.peerId, id: this.cs.id, inSeq: this.cs.inSeq, outSeq: this.cs.outSeq, credits: this.cs.credits },
      userData: this.cs.request?.userData,
      req: this.req,
      outHeaders: this.outHeaders,
      body: this.body.copy(),
      response,
      route,
      trusted: this.trusted,
      debug: this.debug,
      autoCrossOrigin: this.ctx.settings.autoCrossOrigin || route.aco,
      logicalPeer: this.logicalPeer,
      sig: sig ? { iss: sig.iss, keyText: sig.keyText } : undefined,
      isRetry: this.retried,
    });
  }

  private onHandoff(o: HandoffOutcome, response: ResponseData): void {
    if (this.finished) {
      this.logDebug({ outcome: 'error' in o ? 'error' : o.accepted }, 'accept answered after the client left');
      return;
    }
    if ('error' in o) {
      this.log.warn({ err: o.error.message }, 'handler accept failed');
      this.respondText(500, MESSAGES.acceptUnavailable);
    } else if (o.accepted) {
      this.code = response.code;
      this.log.info(this.summary(), 'request handed to the handler');
      this.handedOff = true;
      this.cs.destroy();
      this.done(true);
    } else if (o.response) {
      this.respond(o.response);
    } else {
      this.respond({ ...response, headers: relayResponseHeaders(response.headers) });
    }
  }

  // ---- answering -----------------------------------------------------------------------

  private respondError(detail: string): void {
    this.respondText(502, this.debug ? detail : MESSAGES.proxyError);
  }

  private respondText(code: number, message: string): void {
    this.respond(textResponse(code, message));
  }

  private respond(r: ResponseData): void {
    this.closeBackend(true);
    if (this.finished || this.cs.ended) { this.done(); return; }
    this.code = r.code;
    this.cs.respond({ code: r.code, reason: r.reason, headers: r.headers }, r.body, false);
    this.finish();
  }

  private finish(): void {
    this.phase = 'finishing';
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (this.cs.buffered > 0 && !this.cs.ended) return;
    this.cs.destroy();
    this.done();
  }

  private summary(): Record<string, unknown> {
    return {
      method: this.req?.method, uri: this.req?.uri, route: this.route?.id, target: this.tried.at(-1), code: this.code,
      ...(this.internal ? { internal: true } : {}),
    };
  }

  private done(logged = false): void {
    if (this.finished) return;
    this.finished = true;
    this.phase = 'done';
    this.stopAnswerTimer();
    this.reqCancel?.();
    this.reqCancel = undefined;
    this.closeBackend(true);
    if (!logged && this.req) this.log.info(this.summary(), this.code === undefined ? 'request ended without response' : 'request done');
    if (this.req && !this.req.isWebSocket) this.ctx.conns?.connClosed(this.connId, this.handedOff);
    this.ctx.onDone(this.code, this.body.total, this.respIn);
  }

  private guard<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
    return (...a: A) => {
      try {
        fn(...a);
      } catch (err) {
        this.log.error({ err: (err as Error).message, stack: (err as Error).stack }, 'proxy session failed; cancelling it');
        try { this.closeBackend(true); this.cs.cancel(); } catch { /* already gone */ }
        this.done();
      }
    };
  }
}


/** `route` of a handler's `passthrough` map (Pushpin 1.36 handlers send the accept's route id). */
function passthroughRoute(pt: unknown): string | undefined {
  if (pt === null || typeof pt !== 'object' || Array.isArray(pt) || Buffer.isBuffer(pt)) return undefined;
  const r = (pt as Record<string, unknown>)['route'];
  return Buffer.isBuffer(r) ? r.toString('latin1') : undefined;
}
