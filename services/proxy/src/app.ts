import type { RouteTable } from '@pushpin-ts/config';
import { decode } from '@pushpin-ts/tnetstring';
import {
  decodeAcceptResult, decodeRetryPacket, encodeAcceptArgs, type Packet, type ResponderSession, type RetryPacket, type ZhttpInitiator, type ZhttpResponder, type ZrpcClient,
} from '@pushpin-ts/zhttp';
import type { AcceptService } from './grip-handoff.js';
import type { GripSigner } from './grip-signing.js';
import type { Log } from './log.js';
import { ProxySession, type SessionContext } from './proxy-session.js';
import type { ProxySettings } from './settings.js';
import { requestHeadBytes, type ProxyStats } from './stats.js';
import type { WsControlLink } from './wsoh/ws-control-link.js';
import type { CustomTargets } from './zhttp-target.js';

export interface ProxyAppDeps {
  log: Log;
  settings: ProxySettings;
  routes: () => RouteTable;
  signer: GripSigner;
  zurl: ZhttpInitiator;
  /** The handler's accept socket; undefined = no handler (GRIP responses get 500). */
  accept: ZrpcClient | undefined;
  /** WS-control link to the handler (GRIP WebSocket sessions). */
  wsControl?: WsControlLink;
  /** Sockets of `zhttp/` and `zhttpreq/` route targets. */
  custom?: CustomTargets;
  /** Stats packets and Prometheus counters (client sessions only, not internal requests). */
  stats?: ProxyStats;
  /** Told of every new session (idle-gc.ts). */
  idleGc?: { touch(): void };
}

/** Turns the handler's ZRPC `accept` method into an {@link AcceptService}. */
export function zrpcAcceptService(client: ZrpcClient, timeoutMs: number): AcceptService {
  return async (args) => decodeAcceptResult(await client.call('accept', encodeAcceptArgs(args), timeoutMs));
}

/**
 * The proxy: one {@link ProxySession} per client session (and per handler-originated internal
 * request), counted against `max_open_requests`.
 */
export class ProxyApp {
  open = 0;
  private readonly ctx: SessionContext;
  /** For handler-originated requests: not client traffic, so not counted in the stats. */
  private readonly internalCtx: SessionContext;

  constructor(private readonly deps: ProxyAppDeps) {
    const stats = deps.stats;
    this.internalCtx = {
      log: deps.log,
      settings: deps.settings,
      routes: deps.routes,
      signer: deps.signer,
      zurl: deps.zurl,
      accept: deps.accept ? zrpcAcceptService(deps.accept, deps.settings.acceptTimeoutMs) : undefined,
      onDone: () => { this.open--; },
      wsControl: deps.wsControl,
      custom: deps.custom,
    };
    this.ctx = !stats ? this.internalCtx : {
      ...this.internalCtx,
      onDone: (code, requestBodyBytes, responseBodyBytes) => { this.open--; stats.finished(code, requestBodyBytes, responseBodyBytes); },
      conns: stats,
      onRoute: (route) => stats.routed(route),
    };
  }

  /** A new session from the connection manager. */
  onClientSession(s: ResponderSession): void { this.startSession(s, false); }

  /** A new internal request from the handler (intreq): routed and forwarded, never handed off. */
  onInternalSession(s: ResponderSession): void { this.startSession(s, true); }

  /**
   * A `retry` packet: the handler gives client sessions back for a new backend round trip with
   * the original request (grip.md §9.2). Each session is taken over at the sequence numbers and
   * credits the handler reached, then proxied like a new request through the named route; a GRIP
   * answer is handed to the handler again (`is-retry`). Malformed packets are logged and dropped.
   */
  onRetry(frame: Buffer, client: ZhttpResponder): void {
    let r: RetryPacket;
    try {
      r = decodeRetryPacket(decode(frame));
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'retry: malformed packet from the handler; dropped');
      return;
    }
    // the handler adds Grip-Last; any other Grip-* would be the client's, which is never forwarded
    const headers = r.requestData.headers.filter(([k]) => { const l = k.toLowerCase(); return !l.startsWith('grip-') || l === 'grip-last'; });
    for (const rq of r.requests) {
      const first: Packet = {
        id: rq.rid.id, from: rq.rid.sender, seq: 0, method: r.requestData.method, uri: r.requestData.uri,
        headers, body: r.requestData.body, stream: true,
        ...(rq.peerAddress !== undefined ? { peerAddress: rq.peerAddress } : {}),
        ...(r.route !== undefined ? { passthrough: { route: Buffer.from(r.route, 'latin1') } } : {}),
      };
      const s = client.adopt({ from: rq.rid.sender, id: rq.rid.id, inSeq: rq.inSeq, outSeq: rq.outSeq, credits: rq.outCredits, request: first });
      this.startSession(s, false, true);
    }
  }

  private startSession(s: ResponderSession, internal: boolean, retried = false): void {
    try {
      const max = this.deps.settings.maxOpenRequests;
      const busy = max >= 0 && this.open >= max;
      const stats = internal ? undefined : this.deps.stats;
      const p = s.request;
      if (stats && p) stats.requestReceived(requestHeadBytes(p.method ?? '', p.uri ?? '', p.headers ?? []));
      const session = new ProxySession(internal ? this.internalCtx : this.ctx, s, internal, retried);
      this.deps.idleGc?.touch();
      this.open++;
      stats?.sampleOpen();
      session.start(busy);
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, rid: s.id }, 'cannot start proxy session');
      try { s.cancel(); } catch { /* gone */ }
    }
  }
}
