import { randomUUID } from 'node:crypto';
import type { PushpinConfig } from '@pushpin-ts/config';
import {
  InitiatorTransport, Receiver, ResponderTransport, Sender, ZhttpInitiator, ZhttpResponder, ZrpcClient, ZrpcCondition, ZrpcServer,
  type ResponderSession,
} from '@pushpin-ts/zhttp';
import { ProxyArgsError } from './errors.js';
import type { Log } from './log.js';

/** The proxy's ZeroMQ side (architecture.md §3.3). */
export interface ProxySockets {
  client: ZhttpResponder;
  intreq: ZhttpResponder | undefined;
  zurl: ZhttpInitiator;
  accept: ZrpcClient | undefined;
  /** WS-control towards the handler (bound PUSH `handler_ws_control_out_spec`). */
  wsControlOut: Sender | undefined;
  /** WS-control from the handler (bound PULL `handler_ws_control_in_spec`); set `onMessage`. */
  wsControlIn: Receiver | undefined;
  /** Stats towards the handler (bound PUB `stats_spec`, architecture.md §2.4); see stats.ts. */
  stats: Sender | undefined;
  start(): Promise<void>;
  close(): void;
}

export interface SessionHandlers {
  client(s: ResponderSession): void;
  internal(s: ResponderSession): void;
  /** Command socket `conncheck`: is this WebSocket connection id held here? */
  isConnected?(cid: string): boolean;
  /** A `retry` packet from the handler (one frame, raw tnetstring): sessions given back. */
  retry?(frame: Buffer): void;
}

function need(specs: readonly string[], key: string): string[] {
  if (!specs.length) throw new ProxyArgsError(`[proxy] ${key} is not set (normally it comes from internal.conf)`);
  return [...specs];
}

/**
 * Builds every socket from `[proxy]` specs. Connects to the connection manager and zurl, binds
 * the handler-facing ones (accept, inspect, retry, ws-control, stats, command, intreq). The
 * ws-control pair carries GRIP WebSocket sessions (see wsoh/ws-control-link.ts), the stats PUB
 * the proxy's stats packets (stats.ts), the retry PULL sessions a handler gives back
 * (`handlers.retry`); inspect is bound so a handler can attach but is not used yet.
 * @throws ProxyArgsError when the connection manager or zurl specs are missing.
 */
export function buildSockets(cfg: PushpinConfig, instanceId: string, log: Log, handlers: SessionHandlers): ProxySockets {
  const p = cfg.proxy;
  const fileMode = p.ipcFileMode >= 0 ? { ipcFileMode: p.ipcFileMode } : {};
  const clientT = new ResponderTransport({
    instanceId,
    pullSpecs: need(p.condureInSpecs, 'condure_in_specs'),
    routerSpecs: need(p.condureInStreamSpecs, 'condure_in_stream_specs'),
    pubSpecs: need(p.condureOutSpecs, 'condure_out_specs'),
    bind: false,
  }, log);
  const client = new ZhttpResponder(clientT, { instanceId, log, onSession: (s) => handlers.client(s) });

  const zurlT = new InitiatorTransport({
    instanceId,
    pushSpecs: need(p.zurlOutSpecs, 'zurl_out_specs'),
    routerSpecs: need(p.zurlOutStreamSpecs, 'zurl_out_stream_specs'),
    subSpecs: need(p.zurlInSpecs, 'zurl_in_specs'),
    bind: false,
  }, log);
  const zurl = new ZhttpInitiator(zurlT, { instanceId, log, newId: () => randomUUID() });

  let intreqT: ResponderTransport | undefined;
  let intreq: ZhttpResponder | undefined;
  if (p.intreqInSpecs.length && p.intreqInStreamSpecs.length && p.intreqOutSpecs.length) {
    intreqT = new ResponderTransport({
      instanceId, pullSpecs: [...p.intreqInSpecs], routerSpecs: [...p.intreqInStreamSpecs], pubSpecs: [...p.intreqOutSpecs], bind: true, ...fileMode,
    }, log);
    intreq = new ZhttpResponder(intreqT, { instanceId, log, onSession: (s) => handlers.internal(s) });
  }

  const accept = p.handlerAcceptSpec ? new ZrpcClient([p.handlerAcceptSpec], true, log) : undefined;
  // with no handler attached, fail the send at once instead of delivering a stale accept later
  if (accept) accept.sock.sendTimeout = 0;
  const one = (spec: string) => ({ specs: [spec], bind: true, ...fileMode });
  // with `--handler-connect` (several proxies, the handler binds) the handler publishes items
  // addressed `<proxy-id> ` on a PUB; a single proxy gets them on Pushpin's PULL
  const sharedHandler = p.handlerWsControlInSpec.startsWith('>');
  const wsControlIn = p.handlerWsControlInSpec ? new Receiver(sharedHandler ? 'sub' : 'pull', one(p.handlerWsControlInSpec), log) : undefined;
  if (sharedHandler) wsControlIn?.subscribe(`${instanceId} `);
  const wsControlOut = p.handlerWsControlOutSpec ? new Sender('push', one(p.handlerWsControlOutSpec), log) : undefined;
  // `>spec` (--handler-connect) connects instead: several proxies then share one handler SUB
  const stats = p.statsSpec ? new Sender('pub', one(p.statsSpec), log) : undefined;
  const idle: Startable[] = [
    ...idleSockets(cfg, log, fileMode, handlers), ...(wsControlIn ? [wsControlIn] : []), ...(wsControlOut ? [wsControlOut] : []), ...(stats ? [stats] : []),
  ];

  return {
    client, intreq, zurl, accept, wsControlIn, wsControlOut, stats,
    async start() {
      // handler-facing sockets bind first so a handler starting at the same time finds them
      await accept?.start();
      for (const s of idle) await s.start();
      await intreqT?.start();
      await zurlT.start();
      await clientT.start();
      client.start();
      intreq?.start();
      zurl.start();
    },
    close() {
      client.stop(); intreq?.stop(); zurl.stop();
      for (const c of [clientT, zurlT, intreqT, accept, ...idle]) {
        try { c?.close(); } catch { /* already closed */ }
      }
    },
  };
}

interface Startable { start(): Promise<void>; close(): void }

/** Proxy specs that face the connection manager or zurl; every other `…Spec(s)` key faces the handler. */
const NOT_HANDLER_FACING = /^(condure|zurl|m2a)/;

/**
 * `--handler-connect`: prefixes every handler-facing spec with `>` so this proxy connects
 * them and the handler binds them (attach() in @pushpin-ts/zhttp). Several proxy processes
 * can then share one handler without per-instance endpoints (README "Scaling and custom handlers").
 * @example connectHandlerFacing(cfg).proxy.handlerAcceptSpec // '>ipc:///run/pushpin-accept'
 */
export function connectHandlerFacing(cfg: PushpinConfig): PushpinConfig {
  const p: Record<string, unknown> = { ...cfg.proxy };
  const flip = (s: string): string => (s === '' || s.startsWith('>') ? s : `>${s.startsWith('@') ? s.slice(1) : s}`);
  for (const [key, v] of Object.entries(p)) {
    if (!/Specs?$/.test(key) || NOT_HANDLER_FACING.test(key)) continue;
    if (typeof v === 'string') p[key] = flip(v);
    else if (Array.isArray(v)) p[key] = v.map((x) => (typeof x === 'string' ? flip(x) : x));
  }
  return Object.freeze({ ...cfg, proxy: Object.freeze(p) as PushpinConfig['proxy'] });
}

function idleSockets(cfg: PushpinConfig, log: Log, fileMode: { ipcFileMode?: number }, handlers: SessionHandlers): Startable[] {
  const p = cfg.proxy;
  const out: Startable[] = [];
  const one = (spec: string) => ({ specs: [spec], bind: true, ...fileMode });
  if (p.handlerInspectSpec) out.push(new ZrpcClient([p.handlerInspectSpec], true, log));
  if (p.handlerRetryInSpec) {
    const r = new Receiver('pull', one(p.handlerRetryInSpec), log);
    r.onMessage = (frames) => {
      if (frames.length !== 1 || !handlers.retry) { log.warn({ parts: frames.length }, 'retry: expected one frame; dropped'); return; }
      handlers.retry(frames[0]!);
    };
    out.push(r);
  }
  if (p.commandSpec) {
    out.push(new ZrpcServer([p.commandSpec], true, log, (req) => {
      // conncheck asks which of the given WebSocket connection ids still exist here
      if (req.method === 'conncheck') {
        const ids = Array.isArray(req.args['ids']) ? req.args['ids'] : [];
        return ids.filter((id): id is Buffer => Buffer.isBuffer(id) && (handlers.isConnected?.(id.toString('latin1')) ?? false));
      }
      throw new ZrpcCondition('method-not-found');
    }));
  }
  return out;
}
