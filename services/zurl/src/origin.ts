/**
 * The undici edge for HTTP: one keep-alive Pool per (URI origin, dialled address, TLS options),
 * whose connector dials connect-host/connect-port while the request keeps the URI's Host and
 * SNI. All other modules see the small OutboundEvents / OutboundControl interfaces.
 */
import { checkServerIdentity } from 'node:tls';
import type { Readable } from 'node:stream';
import { Pool, buildConnector, type Dispatcher } from 'undici';
import type { Header } from '@pushpin-ts/zhttp';
import type { RequestTarget } from './request-target.js';

/** Target fields that decide which connection may be reused. */
export type DialTarget = Pick<RequestTarget, 'origin' | 'connectHost' | 'connectPort' | 'tls' | 'trustConnectHost' | 'ignoreTlsErrors' | 'url'>;

/** Outbound request (HTTP/1.1). */
export interface OutboundRequest {
  method: string;
  path: string;
  headers: readonly Header[];
  body: Buffer | Readable | null;
}

/** Response callbacks, in order: start → data* → end, or error at any point (once). */
export interface OutboundEvents {
  onResponseStart(code: number, reason: string, headers: Header[]): void;
  onResponseData(chunk: Buffer): void;
  onResponseEnd(): void;
  onError(err: Error): void;
}

/** Handle on a running outbound request. */
export interface OutboundControl {
  /** Stops reading the response body from the socket (back-pressure). */
  pause(): void;
  resume(): void;
  /** Aborts the request and closes its connection; no further events are delivered. */
  abort(reason: Error): void;
}

export interface OriginPoolsOptions {
  connectTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Pools idle this long are closed. */
  idlePoolMs: number;
  maxHeaderSize: number;
}

interface PoolEntry { pool: Pool; active: number; lastUsed: number }

/** Host name to verify / announce for TLS: SNI must not be an IP address. */
function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(':');
}

/** Converts undici raw headers (alternating name/value buffers) to ZHTTP pairs, keeping case and duplicates. */
export function rawToHeaders(raw: readonly (Buffer | string | Buffer[] | string[])[] | null | undefined): Header[] {
  const out: Header[] = [];
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n = raw[i]!;
    const v = raw[i + 1]!;
    const name = Buffer.isBuffer(n) ? n.toString('latin1') : String(n);
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) out.push([name, Buffer.isBuffer(x) ? x.toString('latin1') : String(x)]);
  }
  return out;
}

/**
 * A connector that dials connect-host/connect-port whatever the origin says; TLS is verified
 * against the URI host (SNI), or against connect-host with trust-connect-host.
 */
export function makeConnector(t: DialTarget, timeoutMs: number): buildConnector.connector {
  const verifyHost = t.trustConnectHost ? t.connectHost : undefined;
  const base = buildConnector({
    timeout: timeoutMs,
    rejectUnauthorized: !t.ignoreTlsErrors,
    ...(verifyHost !== undefined ? { checkServerIdentity: (_h: string, cert: Parameters<typeof checkServerIdentity>[1]) => checkServerIdentity(verifyHost, cert) } : {}),
  });
  const host = t.connectHost;
  const port = String(t.connectPort);
  return (o, cb) => base({ ...o, hostname: host, port }, cb);
}

/** Keep-alive pools per dial target. */
export class OriginPools {
  private readonly pools = new Map<string, PoolEntry>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: OriginPoolsOptions) {
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.max(1000, Math.floor(opts.idlePoolMs / 2)));
    this.sweeper.unref();
  }

  get size(): number { return this.pools.size; }

  private key(t: DialTarget): string {
    return [t.origin, t.connectHost, t.connectPort, t.trustConnectHost ? 1 : 0, t.ignoreTlsErrors ? 1 : 0].join('|');
  }

  private entry(t: DialTarget): PoolEntry {
    const k = this.key(t);
    let e = this.pools.get(k);
    if (!e) {
      e = { pool: new Pool(t.origin, this.poolOptions(t)), active: 0, lastUsed: Date.now() };
      this.pools.set(k, e);
    }
    return e;
  }

  private poolOptions(t: DialTarget): Pool.Options {
    const connect = makeConnector(t, this.opts.connectTimeoutMs);
    return {
      connect,
      connections: null,
      pipelining: 1,
      keepAliveTimeout: this.opts.keepAliveTimeoutMs,
      // zurl-role timeouts are ours (session timer), not undici's
      headersTimeout: 0,
      bodyTimeout: 0,
      maxHeaderSize: this.opts.maxHeaderSize,
    };
  }

  /** Starts a request; events are delivered asynchronously. */
  request(t: DialTarget, req: OutboundRequest, ev: OutboundEvents): OutboundControl {
    const e = this.entry(t);
    e.active++;
    e.lastUsed = Date.now();
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      e.active--;
      e.lastUsed = Date.now();
    };
    let controller: Dispatcher.DispatchController | undefined;
    let abortReason: Error | undefined;
    let paused = false;
    const rawHeaders: string[] = [];
    for (const [n, v] of req.headers) rawHeaders.push(n, v);
    const sni = t.url.hostname.replace(/^\[|\]$/g, '');
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (abortReason) c.abort(abortReason);
        else if (paused) c.pause();
      },
      onResponseStart(c, statusCode, _headers, statusMessage) {
        if (abortReason || statusCode < 200) return;
        ev.onResponseStart(statusCode, statusMessage ?? '', rawToHeaders(c.rawHeaders as Buffer[] | null));
      },
      onResponseData(_c, chunk) {
        if (!abortReason) ev.onResponseData(chunk);
      },
      onResponseEnd() {
        finish();
        if (!abortReason) ev.onResponseEnd();
      },
      onResponseError(_c, err) {
        finish();
        if (!abortReason) ev.onError(err);
      },
    };
    const opts: Dispatcher.DispatchOptions & { servername?: string } = {
      path: req.path,
      method: req.method,
      headers: rawHeaders,
      body: req.body,
      // a backend may hold a request open for long (streams, long-polls): never pipeline behind it
      blocking: true,
    };
    if (t.tls && !isIpLiteral(sni)) opts.servername = sni;
    try {
      e.pool.dispatch(opts, handler);
    } catch (err) {
      finish();
      queueMicrotask(() => ev.onError(err as Error));
    }
    return {
      pause() { paused = true; controller?.pause(); },
      resume() { paused = false; controller?.resume(); },
      abort(reason) {
        if (abortReason || finished) { abortReason ??= reason; return; }
        abortReason = reason;
        controller?.abort(reason);
      },
    };
  }

  /** Closes pools with no request for `idlePoolMs`. */
  sweep(now: number): void {
    for (const [k, e] of this.pools) {
      if (e.active === 0 && now - e.lastUsed >= this.opts.idlePoolMs) {
        this.pools.delete(k);
        void e.pool.close().catch(() => undefined);
      }
    }
  }

  /** Destroys every pool (open requests fail). */
  async destroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((e) => e.pool.destroy().catch(() => undefined)));
  }
}
