/**
 * Custom ZHTTP route targets (config.md §7, architecture.md §3.3): `zhttp/<base>` talks
 * stream mode to a user's responder through sockets the proxy binds (PUSH `<base>-out`,
 * ROUTER `<base>-out-stream`, SUB `<base>-in`; ports P, P+1, P+2 for a tcp base), and
 * `zhttpreq/<spec>` sends one request per client request over a bound DEALER (req mode).
 * A spec starting with `>` makes the proxy connect instead (the user's handler binds), which
 * is what several proxy processes sharing one handler need.
 */
import { randomUUID } from 'node:crypto';
import type { Route, Target, ZhttpReqTarget, ZhttpTarget } from '@pushpin-ts/config';
import { statusReason } from '@pushpin-ts/grip';
import {
  decodePacket, encodePacket, expandBase, InitiatorTransport, ZhttpInitiator, ZhttpReqTransport,
  type Header, type Packet, type ResponseData,
} from '@pushpin-ts/zhttp';
import type { ClientRequest } from './client-request.js';
import type { Log } from './log.js';
import { backendHost, backendUri, rewritePath } from './request-rewrite.js';

/** Default time a custom handler has to start its answer (Pushpin 1.36 answers 502 after 60 s). */
export const ZHTTP_TARGET_TIMEOUT_MS = 60_000;

const BIND_HINT = 'with several proxy processes, write the target as zhttpreq/>spec or zhttp/>spec: the proxies connect and the handler binds';

/** Why a req-mode request failed; mapped to the client's 5xx by the session. */
export type ReqFailure = 'unreachable' | 'timeout' | 'bad-response' | 'closed';

/** The request a req-mode target is sent (zhttp.md §1.2: no seq/credits). */
export interface ReqRequest {
  method: string;
  uri: string;
  headers: Header[];
  body: Buffer;
}

/** Largest answer a req-mode handler may send (Pushpin 1.36 puts `max-size: 1000000` in the request). */
export const REQ_MAX_SIZE = 1_000_000;

interface Pending {
  done: (r: { response: ResponseData } | { failure: ReqFailure; detail: string }) => void;
  timer: NodeJS.Timeout;
}

/** One bound (or connected) `zhttpreq/` DEALER and the requests waiting on it. */
class ReqEndpoint {
  readonly transport: ZhttpReqTransport;
  readonly ready: Promise<boolean>;
  private readonly pending = new Map<string, Pending>();

  constructor(readonly spec: string, private readonly instanceId: string, private readonly log: Log, ipcFileMode: number | undefined) {
    // a `>` spec connects (attach() in @pushpin-ts/zhttp reads the prefix)
    this.transport = new ZhttpReqTransport({ specs: [spec], bind: true, ...(ipcFileMode !== undefined ? { ipcFileMode } : {}) }, log);
    this.transport.onPayload = (payload) => this.onReply(payload);
    this.transport.onSendFailed = (payload) => this.onSendFailed(payload);
    this.ready = this.transport.start().then(() => {
      log.info({ spec }, 'zhttpreq target ready');
      return true;
    }, (err: unknown) => {
      log.error({ spec, err: String(err), hint: BIND_HINT }, 'cannot bind zhttpreq target');
      return false;
    });
  }

  /** Sends one request; `done` is called exactly once unless `cancel` is called first. */
  request(req: ReqRequest, timeoutMs: number, done: Pending['done']): () => void {
    const id = randomUUID();
    const timer = setTimeout(() => {
      if (!this.pending.delete(id)) return;
      done({ failure: 'timeout', detail: `no answer from ${this.spec} within ${timeoutMs} ms` });
    }, timeoutMs);
    this.pending.set(id, { done, timer });
    // the fields Pushpin 1.36 sends (captured): from, id, method, uri, headers, body, max-size, ignore-policies
    const packet: Packet = {
      from: this.instanceId, id, method: req.method, uri: req.uri, headers: req.headers, body: req.body, maxSize: REQ_MAX_SIZE, ignorePolicies: true,
    };
    void this.ready.then((ok) => {
      const p = this.pending.get(id);
      if (!p) return;
      if (!ok) { this.finish(id, { failure: 'unreachable', detail: `cannot bind ${this.spec}` }); return; }
      this.transport.send(encodePacket(packet));
    });
    return () => {
      const p = this.pending.get(id);
      if (p) { clearTimeout(p.timer); this.pending.delete(id); }
    };
  }

  private finish(id: string, r: Parameters<Pending['done']>[0]): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.done(r);
  }

  private onSendFailed(payload: Buffer): void {
    let id: string | undefined;
    try { const p = decodePacket(payload); id = typeof p.id === 'string' ? p.id : undefined; } catch { /* ours, always valid */ }
    if (id !== undefined) this.finish(id, { failure: 'unreachable', detail: `no handler connected to ${this.spec}` });
  }

  private onReply(payload: Buffer): void {
    let p: Packet;
    try {
      p = decodePacket(payload);
    } catch (err) {
      // cannot tell which request it answers: the request runs into its timeout
      this.log.warn({ spec: this.spec, err: (err as Error).message, bytes: payload.length }, 'zhttpreq target sent an unreadable reply; dropped');
      return;
    }
    const id = typeof p.id === 'string' ? p.id : undefined;
    if (id === undefined || !this.pending.has(id)) {
      this.log.debug({ spec: this.spec, id }, 'zhttpreq reply for an unknown or finished request; dropped');
      return;
    }
    if (p.type === 'error' || p.type === 'cancel') {
      this.finish(id, { failure: 'bad-response', detail: `handler at ${this.spec} answered ${p.type}${p.condition ? ` (${p.condition})` : ''}` });
      return;
    }
    if (p.type !== undefined || p.code === undefined || p.code < 100 || p.code > 999) {
      this.finish(id, { failure: 'bad-response', detail: `handler at ${this.spec} answered without a valid status code` });
      return;
    }
    if ((p.body?.length ?? 0) > REQ_MAX_SIZE) {
      this.finish(id, { failure: 'bad-response', detail: `handler at ${this.spec} answered more than ${REQ_MAX_SIZE} bytes` });
      return;
    }
    const code = p.code;
    this.finish(id, { response: { code, reason: p.reason ?? statusReason(code), headers: p.headers ?? [], body: p.body ?? Buffer.alloc(0) } });
  }

  close(): void {
    for (const id of [...this.pending.keys()]) this.finish(id, { failure: 'closed', detail: 'proxy stopping' });
    try { this.transport.close(); } catch { /* closed */ }
  }
}

/** One `zhttp/` target: an initiator over sockets bound at the base spec. */
interface StreamEndpoint {
  readonly initiator: ZhttpInitiator;
  readonly transport: InitiatorTransport;
  readonly ready: Promise<boolean>;
}

/**
 * Owns the sockets of every custom ZHTTP target, created when a route first names them
 * (`prepare` at routes load, or the first request) and kept across routes reloads.
 */
export class CustomTargets {
  private readonly reqs = new Map<string, ReqEndpoint>();
  private readonly streams = new Map<string, StreamEndpoint>();

  constructor(private readonly o: { instanceId: string; log: Log; timeoutMs?: number }) {}

  /** Time a handler has to start its answer. */
  get timeoutMs(): number { return this.o.timeoutMs ?? ZHTTP_TARGET_TIMEOUT_MS; }

  /** Binds the sockets of every custom target in the routes so handlers can connect before traffic. */
  prepare(targets: Iterable<Target>): void {
    for (const t of targets) {
      if (t.type === 'zhttpreq') this.reqEndpoint(t);
      else if (t.type === 'zhttp') this.stream(t);
    }
  }

  /** Sends a req-mode request; returns a cancel function. */
  request(t: ZhttpReqTarget, req: ReqRequest, done: Pending['done']): () => void {
    return this.reqEndpoint(t).request(req, this.timeoutMs, done);
  }

  /** The stream-mode initiator for a `zhttp/` target (sockets bound on first use). */
  stream(t: ZhttpTarget): StreamEndpoint {
    let e = this.streams.get(t.spec);
    if (e) return e;
    const [push, router, sub] = expandBase(t.spec, ['-out', '-out-stream', '-in']);
    // expandBase keeps a `>` prefix on all three specs, so attach() connects them
    const transport = new InitiatorTransport({
      instanceId: this.o.instanceId, pushSpecs: [push], routerSpecs: [router], subSpecs: [sub], bind: true,
      ...(t.ipcFileMode !== undefined ? { ipcFileMode: t.ipcFileMode } : {}),
    }, this.o.log);
    // no handler connected: fail the first packet at once instead of queueing it forever
    transport.push.sendTimeout = 0;
    const initiator = new ZhttpInitiator(transport, { instanceId: this.o.instanceId, log: this.o.log, newId: () => randomUUID() });
    const ready = transport.start().then(() => {
      initiator.start();
      this.o.log.info({ spec: t.spec, push, router, sub }, 'zhttp target ready');
      return true;
    }, (err: unknown) => {
      this.o.log.error({ spec: t.spec, err: String(err), hint: BIND_HINT }, 'cannot bind zhttp target');
      return false;
    });
    e = { initiator, transport, ready };
    this.streams.set(t.spec, e);
    return e;
  }

  private reqEndpoint(t: ZhttpReqTarget): ReqEndpoint {
    let e = this.reqs.get(t.spec);
    if (!e) {
      e = new ReqEndpoint(t.spec, this.o.instanceId, this.o.log, t.ipcFileMode);
      this.reqs.set(t.spec, e);
    }
    return e;
  }

  close(): void {
    for (const e of this.reqs.values()) e.close();
    for (const e of this.streams.values()) {
      e.initiator.stop();
      for (const s of [...e.initiator.sessions.values()]) s.cancel();
      try { e.transport.close(); } catch { /* closed */ }
    }
    this.reqs.clear();
    this.streams.clear();
  }
}

/**
 * The status a failed custom target turns into: 502 for every failure, as Pushpin 1.36
 * answers (captured: no handler, garbage and silence all end in 502 "Error while proxying to
 * origin."); the reason is in the log and, with `debug`, in the body.
 */
export function failureStatus(_f: ReqFailure): number {
  return 502;
}

/**
 * First packet towards a custom handler: the client's method, the (rewritten) absolute URI
 * and the forwarded headers; stream mode, a 200000-byte window and `ignore-policies` as
 * towards zurl, but no connect-host/port and no peer address (as Pushpin 1.36, captured).
 */
export function customFirstPacket(req: ClientRequest, route: Route, headers: Header[]): Omit<Packet, 'from' | 'id' | 'seq'> {
  const uri = backendUri({ ssl: req.isTls, isWebSocket: false, host: backendHost(req.host, route), path: rewritePath(req.path, route), query: req.query });
  return { method: req.method, uri, headers, credits: 200_000, stream: true, ignorePolicies: true };
}
