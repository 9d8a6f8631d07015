/**
 * The only module that touches uWebSockets.js. Everything else sees the small interfaces
 * below (`HttpRes`, `WsConn`, `ServerHandlers`), so the server library could be swapped.
 *
 * The native addon is loaded lazily on the first `UwsServer`, after main.ts had its chance
 * to prepare the environment.
 */
import { createRequire } from 'node:module';
import type * as Uws from 'uWebSockets.js';
import type { Header } from '@pushpin-ts/zhttp';
import { formatAddress } from './address.js';
import { rawLatin1, type RequestHead } from './request-head.js';

/** Bytes or text accepted by writes (text is sent as UTF-8). */
export type Chunk = Uint8Array | string;

/** One HTTP response on a client connection (valid until aborted or ended). */
export interface HttpRes {
  cork(fn: () => void): void;
  writeStatus(status: Chunk): HttpRes;
  writeHeader(name: Chunk, value: Chunk): HttpRes;
  /** Chunked write; false = buffered behind back-pressure (wait for onWritable). */
  write(chunk: Chunk): boolean;
  /** Ends with a body and an automatic Content-Length (or the chunked terminator after write()). */
  end(body?: Chunk, closeConnection?: boolean): HttpRes;
  /** Ends without body and without Content-Length. Call it with no arguments: passing
   * `undefined` fails in uWS, and a length > 0 leaves keep-alive connections stuck. */
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): HttpRes;
  /** Length-delimited write of part of a body of `totalSize` bytes: [fully written, response done]. */
  tryEnd(chunk: Chunk, totalSize: number): [boolean, boolean];
  /** Body bytes written by tryEnd so far. */
  getWriteOffset(): number;
  onWritable(fn: (offset: number) => boolean): HttpRes;
  onAborted(fn: () => void): HttpRes;
  /** Closes the connection now; onAborted runs. */
  close(): HttpRes;
  /** Stops/restarts reading the request body (back-pressure towards the client). */
  pause(): void;
  resume(): void;
}

/** An open WebSocket connection. Send results: 1 sent, 0 buffered (back-pressure), 2 dropped. */
export interface WsConn {
  send(msg: Chunk, isBinary: boolean): number;
  sendFirstFragment(msg: Chunk, isBinary: boolean): number;
  sendFragment(msg: Chunk): number;
  sendLastFragment(msg: Chunk): number;
  ping(msg: Chunk): number;
  getBufferedAmount(): number;
  /** Sends a close frame and closes; the close handler runs synchronously. */
  end(code?: number, reason?: Chunk): void;
  /** Closes without a close frame; the close handler runs synchronously. */
  close(): void;
  cork(fn: () => void): void;
}

/** Completes a pending WebSocket upgrade (101) with our per-connection state attached. */
export type AcceptUpgrade<T> = (data: T, headers: readonly Header[], protocol: string, extensions: string) => void;

export interface ServerHandlers<T> {
  /** A plain HTTP request; the handler must respond at once or attach onAborted. */
  request(res: HttpRes, head: RequestHead): void;
  /** A WebSocket upgrade request; call `accept` (now or later) or respond with an HTTP error. */
  upgrade(res: HttpRes, head: RequestHead, accept: AcceptUpgrade<T>): void;
  /** Handlers get the `data` given to `accept` as `owner`. */
  open(ws: WsConn, owner: T): void;
  message(owner: T, data: Buffer, isBinary: boolean): void;
  drain(ws: WsConn, owner: T): void;
  close(owner: T, code: number, reason: Buffer): void;
  ping(owner: T, data: Buffer): void;
  pong(owner: T, data: Buffer): void;
  /** Client connections opened (+1) or closed (-1), across HTTP and WebSocket. */
  connection(delta: number): void;
  /** A handler threw; the server stays up. */
  error(err: unknown, where: string): void;
}

export interface UwsServerOptions {
  /** PEM files for a TLS listener. */
  tls?: { certFile: string; keyFile: string };
  /** Largest client WebSocket message accepted (bytes). */
  maxWsMessage: number;
}

type Native = typeof Uws;
/** uSockets' listen option without LIBUS_LISTEN_EXCLUSIVE_PORT: SO_REUSEPORT is set (ports other than 0). */
const LIBUS_LISTEN_DEFAULT = 0;
interface Ref<T> { ref: T }
let native: Native | undefined;
function load(): Native {
  if (!native) native = createRequire(import.meta.url)('uWebSockets.js') as Native;
  return native;
}

/**
 * Copies uWS's ArrayBuffer (neutered when the callback returns) into a Buffer.
 * @example copy(new ArrayBuffer(2)).length // 2
 */
function copy(ab: ArrayBuffer): Buffer {
  return Buffer.from(new Uint8Array(ab));
}

function readHead(req: Uws.HttpRequest, res: Uws.HttpResponse): RequestHead {
  const headers: Header[] = [];
  req.forEach((k, v) => { headers.push([rawLatin1(k), rawLatin1(v)]); });
  const q = req.getQuery() as string | undefined;
  return {
    method: rawLatin1(req.getCaseSensitiveMethod()),
    path: rawLatin1(req.getUrl()),
    query: q === undefined ? undefined : rawLatin1(q),
    headers,
    peerAddress: formatAddress(new Uint8Array(res.getRemoteAddress())),
  };
}

/**
 * Reads a request body: `fn` gets each chunk (copied, so it may be kept) and `last` on the end.
 * Must be called inside the request handler.
 */
export function readBody(res: HttpRes, fn: (chunk: Buffer, last: boolean) => void): void {
  (res as unknown as Uws.HttpResponse).onData((ab, last) => { fn(copy(ab), last); });
}

/** One uWS app (plain or TLS) with our handlers on every path. */
export class UwsServer<T> {
  private readonly app: Uws.TemplatedApp;
  private readonly sockets: Uws.us_listen_socket[] = [];

  constructor(opts: UwsServerOptions, private readonly h: ServerHandlers<T>) {
    const u = load();
    this.app = opts.tls ? u.SSLApp({ cert_file_name: opts.tls.certFile, key_file_name: opts.tls.keyFile }) : u.App();
    const guard = <A extends unknown[]>(where: string, fn: (...a: A) => void) => (...a: A): void => {
      try { fn(...a); } catch (err) { h.error(err, where); }
    };
    this.app.any('/*', (res, req) => {
      try {
        h.request(res as unknown as HttpRes, readHead(req, res));
      } catch (err) {
        h.error(err, 'request');
        try { res.close(); } catch { /* already finished */ }
      }
    });
    this.app.ws<Ref<T>>('/*', {
      maxPayloadLength: opts.maxWsMessage,
      maxBackpressure: 64 * 1024 * 1024,
      closeOnBackpressureLimit: 0,
      idleTimeout: 0,
      sendPingsAutomatically: false,
      compression: u.DISABLED,
      upgrade: (res, req, ctx) => {
        try {
          const head = readHead(req, res);
          const key = req.getHeader('sec-websocket-key');
          const accept: AcceptUpgrade<T> = (data, headers, protocol, extensions) => {
            res.cork(() => {
              res.writeStatus('101 Switching Protocols');
              for (const [k, v] of headers) res.writeHeader(wire(k), wire(v));
              // uWS copies the user data object's own fields, so keep ours behind a field
              res.upgrade<Ref<T>>({ ref: data }, key, wire(protocol), wire(extensions), ctx);
            });
          };
          h.upgrade(res as unknown as HttpRes, head, accept);
        } catch (err) {
          h.error(err, 'upgrade');
          try { res.close(); } catch { /* already finished */ }
        }
      },
      open: guard('ws open', (ws: Uws.WebSocket<Ref<T>>) => h.open(ws as unknown as WsConn, ws.getUserData().ref)),
      message: guard('ws message', (ws: Uws.WebSocket<Ref<T>>, m: ArrayBuffer, bin: boolean) => h.message(ws.getUserData().ref, copy(m), bin)),
      drain: guard('ws drain', (ws: Uws.WebSocket<Ref<T>>) => h.drain(ws as unknown as WsConn, ws.getUserData().ref)),
      close: guard('ws close', (ws: Uws.WebSocket<Ref<T>>, code: number, m: ArrayBuffer) => h.close(ws.getUserData().ref, code, copy(m))),
      ping: guard('ws ping', (ws: Uws.WebSocket<Ref<T>>, m: ArrayBuffer) => h.ping(ws.getUserData().ref, copy(m))),
      pong: guard('ws pong', (ws: Uws.WebSocket<Ref<T>>, m: ArrayBuffer) => h.pong(ws.getUserData().ref, copy(m))),
    });
    this.app.filter((_res, count) => { h.connection(Number(count) > 0 ? 1 : -1); });
  }

  /**
   * Listens on a TCP address. By default the port is exclusive (a second bind fails);
   * with `reusePort` the socket sets SO_REUSEPORT (uSockets does so unless
   * LIBUS_LISTEN_EXCLUSIVE_PORT is given, i.e. for LIBUS_LISTEN_DEFAULT = 0), so other
   * processes listening the same way share the port and the kernel spreads new connections
   * over them. Resolves with the bound port; rejects when the address cannot be bound.
   */
  listenTcp(addr: string, port: number, reusePort = false): Promise<number> {
    const u = load();
    // the native module exports only LIBUS_LISTEN_EXCLUSIVE_PORT (1); the typings' ListenOptions
    // enum has LIBUS_LISTEN_DEFAULT = 0 (SO_REUSEPORT + SO_REUSEADDR) and EXCLUSIVE_PORT = 1
    const options = reusePort ? LIBUS_LISTEN_DEFAULT : (u as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number }).LIBUS_LISTEN_EXCLUSIVE_PORT;
    return new Promise((resolve, reject) => {
      const listen = this.app.listen as unknown as (h: string, p: number, o: number, cb: (s: Uws.us_listen_socket | false) => void) => void;
      listen.call(this.app, addr, port, options, (s) => {
        if (!s) { reject(new Error(`cannot listen on ${addr}:${port}`)); return; }
        this.sockets.push(s);
        resolve(u.us_socket_local_port(s));
      });
    });
  }

  /** Listens on a unix domain socket path. */
  listenUnix(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.app.listen_unix((s) => {
        if (!s) { reject(new Error(`cannot listen on ${path}`)); return; }
        this.sockets.push(s);
        resolve();
      }, path);
    });
  }

  /** Stops accepting connections. */
  stopListening(): void {
    const u = load();
    for (const s of this.sockets.splice(0)) u.us_listen_socket_close(s);
  }

  /** Closes every listen socket and client connection. */
  close(): void {
    this.stopListening();
    this.app.close();
  }
}

/** Text for uWS: latin1 strings with bytes >= 0x80 go as raw bytes, not re-encoded as UTF-8. */
export function wire(s: string): Chunk {
  return /[^\x00-\x7f]/.test(s) ? Buffer.from(s, 'latin1') : s;
}
