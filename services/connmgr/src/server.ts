import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { ListenSpec } from './args.js';
import { ConnmgrListenError } from './errors.js';
import { HttpSession } from './http-session.js';
import { checkFraming, headBytes, headerValue, type RequestHead } from './request-head.js';
import { UwsServer, type HttpRes, type ServerHandlers } from './uws.js';
import { WsSession, type WsContext } from './ws-session.js';

export interface ServerOptions {
  listens: readonly ListenSpec[];
  /** Largest request line + headers accepted (`--buffer-size`). */
  bufferSize: number;
  /** Client connections beyond this get 503 (`--stream-maxconn`). */
  maxConn: number;
  /** Where `<name>.crt` / `<name>.key` of TLS listeners live (`--tls-identities-dir`). */
  tlsDir?: string | undefined;
  /** Largest WebSocket message accepted from a client. */
  maxWsMessage: number;
  /** TCP listeners share their port with other processes (SO_REUSEPORT, `--reuse-port`). */
  reusePort?: boolean;
}

/** How long a client-closed WebSocket waits for the responder's close reply. */
const CLOSE_WAIT_MS = 10_000;

/**
 * The client-facing side: one uWS app for plain listeners and one per TLS listener, all
 * feeding the same ZHTTP initiator. Refuses what must never reach the responder (oversized
 * or ambiguous request heads, connections over the limit).
 */
export class ConnServer {
  private conns = 0;
  private readonly apps: UwsServer<WsSession>[] = [];
  private sweep: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: WsContext, private readonly opts: ServerOptions) {}

  /** Number of open client connections. */
  get connections(): number { return this.conns; }

  /**
   * Opens every listener. Resolves with a description of each bound address.
   * @throws ConnmgrListenError (PP_ERR_CONNMGR_LISTEN) when an address cannot be bound or a
   * TLS identity is missing.
   */
  async start(): Promise<string[]> {
    const bound: string[] = [];
    let plain: UwsServer<WsSession> | undefined;
    for (const l of this.opts.listens) {
      if (l.kind === 'local') {
        plain ??= this.app('http');
        await plain.listenUnix(l.path).catch((e: Error) => { throw new ConnmgrListenError(e.message); });
        if (l.mode !== undefined) await chmod(l.path, l.mode).catch(() => undefined);
        bound.push(`unix:${l.path}`);
        continue;
      }
      let app: UwsServer<WsSession>;
      if (l.tls) {
        const name = l.defaultCert ?? `default_${l.port}`;
        const dir = this.opts.tlsDir ?? '.';
        const certFile = join(dir, `${name}.crt`);
        const keyFile = join(dir, `${name}.key`);
        if (!existsSync(certFile) || !existsSync(keyFile)) throw new ConnmgrListenError(`TLS identity '${name}' not found (${certFile}, ${keyFile})`);
        app = this.app('https', { certFile, keyFile });
      } else {
        plain ??= this.app('http');
        app = plain;
      }
      const port = await app.listenTcp(l.addr, l.port, this.opts.reusePort === true).catch((e: Error) => { throw new ConnmgrListenError(e.message); });
      bound.push(`${l.tls ? 'https' : 'http'}://${l.addr.includes(':') ? `[${l.addr}]` : l.addr}:${port}`);
    }
    this.sweep = setInterval(() => this.sweepClosing(Date.now()), 2_000);
    this.sweep.unref();
    return bound;
  }

  /** Stops accepting connections (existing ones continue). */
  stopListening(): void {
    for (const a of this.apps) a.stopListening();
  }

  /** Closes listeners and every client connection. */
  close(): void {
    if (this.sweep) clearInterval(this.sweep);
    for (const a of this.apps) a.close();
  }

  private sweepClosing(now: number): void {
    for (const [w, since] of this.ctx.closing) if (now - since >= CLOSE_WAIT_MS) w.expireClose();
  }

  private app(scheme: 'http' | 'https', tls?: { certFile: string; keyFile: string }): UwsServer<WsSession> {
    const a = new UwsServer<WsSession>({ maxWsMessage: this.opts.maxWsMessage, ...(tls ? { tls } : {}) }, this.handlers(scheme));
    this.apps.push(a);
    return a;
  }

  /** Answers requests that must not be forwarded (undefined); otherwise returns their framing. */
  private refuse(res: HttpRes, head: RequestHead, upgrade: boolean): { hasBody: boolean } | undefined {
    const log = this.ctx.log;
    const where = { method: head.method, path: head.path, peer: head.peerAddress };
    if (this.conns > this.opts.maxConn) {
      log.warn({ ...where, conns: this.conns, max: this.opts.maxConn }, 'too many connections; refusing with 503');
      reply(res, 503, 'Service Unavailable');
      return undefined;
    }
    const size = headBytes(head);
    if (size > this.opts.bufferSize) {
      log.warn({ ...where, size, max: this.opts.bufferSize }, 'request head larger than --buffer-size; refusing with 431');
      reply(res, 431, 'Request Header Fields Too Large');
      return undefined;
    }
    const framing = checkFraming(head.headers);
    if (!framing.ok) {
      log.warn({ ...where, why: framing.why }, 'malformed request; refusing with 400');
      reply(res, 400, 'Bad Request');
      return undefined;
    }
    if (!headerValue(head.headers, 'host')) {
      log.warn(where, 'request without Host; refusing with 400');
      reply(res, 400, 'Bad Request');
      return undefined;
    }
    if (upgrade && (head.method !== 'GET' || !headerValue(head.headers, 'sec-websocket-key'))) {
      log.warn(where, 'malformed websocket upgrade; refusing with 400');
      reply(res, 400, 'Bad Request');
      return undefined;
    }
    return { hasBody: framing.hasBody };
  }

  private handlers(scheme: 'http' | 'https'): ServerHandlers<WsSession> {
    const ctx = this.ctx;
    return {
      request: (res, head) => {
        const ok = this.refuse(res, head, false);
        if (ok) HttpSession.start(ctx, res, head, scheme, ok.hasBody);
      },
      upgrade: (res, head, accept) => {
        if (this.refuse(res, head, true)) WsSession.start(ctx, res, head, scheme === 'https' ? 'wss' : 'ws', accept);
      },
      open: (ws, w) => w.opened(ws),
      message: (w, data, isBinary) => w.message(data, isBinary),
      drain: (ws, w) => w.drained(ws),
      close: (w, code, reason) => w.closed(code, reason),
      ping: (w, data) => w.ping(data),
      pong: (w, data) => w.pong(data),
      connection: (delta) => { this.conns += delta; },
      error: (err, where) => ctx.log.error({ err, where }, 'client connection handler failed'),
    };
  }
}

function reply(res: HttpRes, code: number, reason: string): void {
  res.cork(() => {
    res.writeStatus(`${code} ${reason}`).writeHeader('Content-Type', 'text/plain');
    res.end(`${reason}\n`, true);
  });
}
