/**
 * The proxy's stats packets towards the handler (architecture.md §2.4 and §3.3 `stats_spec`,
 * publish.md §9), and the counters behind its Prometheus endpoint.
 *
 * On the bound PUB socket, one frame per packet, `<type> T<tnetstring>`, `from` = the proxy's
 * instance id. The handler subscribes and merges them into its own stats:
 * - `activity` `{count}`: client requests received, aggregated and flushed {@link FLUSH_MS}
 *   after the first one (Pushpin counts a request as one unit of activity);
 * - `counts` `{requests-received}`: the same requests, flushed with the activity;
 * - `conn` `{id, type, peer-address, ssl, ttl}` when a client connection opens, again every ¾
 *   ttl while it stays with the proxy, and `{id, unavailable}` when it ends here (a session the
 *   handler took over is reported by the handler from then on), as Pushpin's proxy does;
 * - `report` every `[proxy] stats_report_interval` seconds: `connections` (most sessions open
 *   at once in the interval), `duration` (ms) and the byte counters this proxy can measure
 *   without touching the data path (request header and body bytes from clients, relayed
 *   response body bytes from backends).
 */

import type { Route } from '@pushpin-ts/config';
import { encode, type TnValue } from '@pushpin-ts/tnetstring';
import type { Header } from '@pushpin-ts/zhttp';

/** Delay between the first counted request and the `activity`/`counts` packets (≤ 1 s). */
export const FLUSH_MS = 500;

/** A field value of a stats packet. */
export type StatsValue = string | number | boolean;

/**
 * Encodes one stats packet as the proxy sends it (keys sorted, tnetstring).
 * @example encodeProxyStatsPacket('counts', { from: 'p', 'requests-received': 2 }).toString()
 *   // 'counts T36:4:from,1:p,17:requests-received,1:2#}'
 */
export function encodeProxyStatsPacket(type: string, fields: Readonly<Record<string, StatsValue>>): Buffer {
  const sorted: Record<string, TnValue> = {};
  for (const k of Object.keys(fields).sort()) sorted[k] = fields[k]!;
  return Buffer.concat([Buffer.from(`${type} T`, 'latin1'), encode(sorted)]);
}

/**
 * Bytes of a request head as a client sent it: `METHOD uri HTTP/1.1\r\n`, `Name: value\r\n`
 * per header, the blank line. The uri here is absolute (condure rewrites it), so this is an
 * estimate within a few bytes per request.
 */
export function requestHeadBytes(method: string, uri: string, headers: readonly Header[]): number {
  let n = method.length + uri.length + 12;
  for (const [k, v] of headers) n += k.length + v.length + 4;
  return n + 2;
}

/** `2xx` for 204; `other` outside 100–599. */
export function codeClass(code: number): string {
  return code >= 100 && code < 600 ? `${Math.floor(code / 100)}xx` : 'other';
}

/** Totals since start, read by the Prometheus endpoint. */
export interface ProxyTotals {
  requestsReceived: number;
  /** Route id → requests routed there. */
  readonly byRoute: Map<string, number>;
  /** `2xx` … → requests answered with such a status (handed-off ones: the backend's status). */
  readonly byClass: Map<string, number>;
}

export interface ProxyStatsOptions {
  /** `from` of every packet: the proxy's instance id, e.g. `pushpin-proxy_11446`. */
  from: string;
  /** Seconds between `report` packets; 0 disables them. */
  reportInterval: number;
  /** Client sessions open now (sampled for `connections`). */
  openSessions(): number;
  /** `[global] stats_connection_ttl` (s) of `conn` packets; default 120. */
  connectionTtl?: number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
}

/**
 * Counts client requests and emits the proxy's stats packets. `send` undefined (no
 * `stats_spec`): counting only, for the Prometheus endpoint.
 */
export class ProxyStats {
  readonly totals: ProxyTotals = { requestsReceived: 0, byRoute: new Map(), byClass: new Map() };
  private pending = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private maxOpen = 0;
  private lastReport: number;
  private headerBytesIn = 0;
  private contentBytesIn = 0;
  private serverContentBytesIn = 0;
  private closed = false;
  private readonly now: () => number;
  /** Connections this proxy holds, with their `conn` fields (re-sent every ¾ ttl). */
  private readonly conns = new Map<string, Record<string, StatsValue>>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly connTtl: number;

  constructor(private readonly send: ((frame: Buffer) => void) | undefined, private readonly o: ProxyStatsOptions) {
    this.now = o.now ?? Date.now;
    this.lastReport = this.now();
    this.connTtl = Math.max(1, o.connectionTtl ?? 120);
  }

  /** Starts the report timer. */
  start(): void {
    this.lastReport = this.now();
    if (this.o.reportInterval > 0 && this.send) {
      this.reportTimer = setInterval(() => this.report(), this.o.reportInterval * 1000);
      this.reportTimer.unref();
    }
    if (this.send) {
      this.refreshTimer = setInterval(() => this.refreshConnections(), this.connTtl * 750);
      this.refreshTimer.unref();
    }
  }

  /** A client connection opened here (`type` ws for WebSocket; `ssl` for TLS). */
  connOpened(id: string, type: 'http' | 'ws', peerAddress: string | undefined, ssl: boolean): void {
    if (!this.send || this.closed) return;
    const f: Record<string, StatsValue> = { id, type, ttl: this.connTtl };
    if (peerAddress !== undefined) f['peer-address'] = peerAddress;
    if (ssl) f['ssl'] = true;
    this.conns.set(id, f);
    this.emit('conn', f);
  }

  /** The connection ended here, or (`handedOff`) the handler took it over and reports it now. */
  connClosed(id: string, handedOff: boolean): void {
    if (!this.conns.delete(id) || handedOff) return;
    this.emit('conn', { id, unavailable: true });
  }

  /** Re-sends `conn` for every connection still held (before the handler's ttl runs out). */
  refreshConnections(): void {
    for (const f of this.conns.values()) this.emit('conn', f);
  }

  /** A client request arrived (its head was `headBytes` long). Call before opening its session. */
  requestReceived(headBytes: number): void {
    this.totals.requestsReceived++;
    this.headerBytesIn += headBytes;
    this.pending++;
    if (!this.flushTimer && this.send && !this.closed) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }

  /** The session was matched to `route` (once per session). */
  routed(route: Route): void {
    const m = this.totals.byRoute;
    m.set(route.id, (m.get(route.id) ?? 0) + 1);
  }

  /**
   * A session is over. `code`: status sent (undefined: none, or a WebSocket session);
   * `requestBodyBytes` from the client, `responseBodyBytes` relayed from the backend.
   */
  finished(code: number | undefined, requestBodyBytes = 0, responseBodyBytes = 0): void {
    if (code !== undefined) {
      const c = codeClass(code);
      this.totals.byClass.set(c, (this.totals.byClass.get(c) ?? 0) + 1);
    }
    this.contentBytesIn += requestBodyBytes;
    this.serverContentBytesIn += responseBodyBytes;
  }

  /** Samples the open-session count (the app calls it when a session opens). */
  sampleOpen(): void {
    const n = this.o.openSessions();
    if (n > this.maxOpen) this.maxOpen = n;
  }

  /** Sends pending `activity` and `counts` now. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    this.emit('activity', { count: n });
    this.emit('counts', { 'requests-received': n });
  }

  /** Sends the `report` packet now and starts a new interval. */
  report(): void {
    this.flush();
    const now = this.now();
    this.emit('report', {
      connections: Math.max(this.maxOpen, this.o.openSessions()),
      duration: now - this.lastReport,
      'client-header-bytes-received': this.headerBytesIn,
      'client-content-bytes-received': this.contentBytesIn,
      'server-content-bytes-received': this.serverContentBytesIn,
    });
    this.lastReport = now;
    this.maxOpen = this.o.openSessions();
    this.headerBytesIn = 0;
    this.contentBytesIn = 0;
    this.serverContentBytesIn = 0;
  }

  /** Stops the timers; later counts are kept for metrics but nothing is sent. */
  close(): void {
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.reportTimer) clearInterval(this.reportTimer);
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.flushTimer = undefined;
    this.reportTimer = undefined;
    this.refreshTimer = undefined;
  }

  private emit(type: string, fields: Record<string, StatsValue>): void {
    if (this.closed || !this.send) return;
    this.send(encodeProxyStatsPacket(type, { ...fields, from: this.o.from }));
  }
}
