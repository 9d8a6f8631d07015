import type { Header, Packet } from '@pushpin-ts/zhttp';
import { ZurlBadRequestError } from './errors.js';

/** Session kind, decided only by the URI scheme (zhttp.md §2.2). */
export type TargetKind = 'http' | 'ws';

/** Where and how to send one outbound request, derived from a ZHTTP first packet. */
export interface RequestTarget {
  kind: TargetKind;
  method: string;
  /** The request URI (ws/wss kept as such). */
  url: URL;
  /** `http(s)://host:port` of the URI: keys the pool and sets SNI / Host default. */
  origin: string;
  /** Path + query sent on the request line. */
  path: string;
  /** Host and port actually dialled (connect-host/connect-port when given). */
  connectHost: string;
  connectPort: number;
  tls: boolean;
  /** Verify the certificate against connect-host instead of the URI host. */
  trustConnectHost: boolean;
  ignoreTlsErrors: boolean;
  /** Headers to send, as [name, value] (hop-by-hop ones removed). */
  headers: Header[];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const METHOD = TOKEN;

// Hop-by-hop headers (RFC 9110 §7.6.1) and ones undici refuses to take from callers.
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'http2-settings',
]);

// The WebSocket client generates these itself.
const WS_HANDSHAKE: ReadonlySet<string> = new Set([
  'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol', 'content-length',
]);

/** Classifies a URI scheme: `http`/`ws` session, or undefined for anything else (answered with cancel). */
export function kindOfUri(uri: string): TargetKind | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (scheme === 'ws' || scheme === 'wss') return 'ws';
  return undefined;
}

/**
 * Builds the outbound request description from a ZHTTP first packet.
 * @throws ZurlBadRequestError (PP_ERR_ZURL_BAD_REQUEST) for a missing/invalid method or URI,
 * an unsupported scheme, an invalid connect-port or a malformed header.
 * @example toRequestTarget({ id: '1', method: 'GET', uri: 'http://a/x', headers: [] })
 */
export function toRequestTarget(p: Packet): RequestTarget {
  const kind = kindOfUri(p.uri ?? '');
  // Pushpin's proxy sends WebSocket requests without a method (the handshake is always a GET)
  const method = p.method ?? (kind === 'ws' ? 'GET' : '');
  if (!METHOD.test(method)) throw new ZurlBadRequestError(`invalid method '${method}'`);
  if (!kind) throw new ZurlBadRequestError(`unsupported uri '${p.uri ?? ''}'`);
  let url: URL;
  try {
    url = new URL(p.uri!);
  } catch {
    throw new ZurlBadRequestError(`invalid uri '${p.uri!}'`);
  }
  if (url.hostname === '') throw new ZurlBadRequestError(`uri without host '${p.uri!}'`);
  const tls = url.protocol === 'https:' || url.protocol === 'wss:';
  const uriPort = url.port !== '' ? Number(url.port) : tls ? 443 : 80;
  const connectPort = p.connectPort ?? uriPort;
  if (!Number.isInteger(connectPort) || connectPort < 1 || connectPort > 65535) {
    throw new ZurlBadRequestError(`invalid connect-port ${String(p.connectPort)}`);
  }
  const connectHost = p.connectHost !== undefined && p.connectHost !== '' ? p.connectHost : url.hostname;
  const httpScheme = tls ? 'https:' : 'http:';
  return {
    kind,
    method,
    url,
    origin: `${httpScheme}//${url.host}`,
    path: `${url.pathname || '/'}${url.search}`,
    connectHost: stripBrackets(connectHost),
    connectPort,
    tls,
    trustConnectHost: p.trustConnectHost === true,
    ignoreTlsErrors: p.ignoreTlsErrors === true,
    headers: filterHeaders(p.headers ?? [], kind),
  };
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * Validates headers and removes hop-by-hop ones (plus those named in `Connection`), keeping
 * order, case and duplicates. Only the first `Host` is kept. For WebSocket the handshake
 * headers the client computes itself are removed as well.
 * @throws ZurlBadRequestError (PP_ERR_ZURL_BAD_REQUEST) for an invalid name or value.
 */
export function filterHeaders(headers: readonly Header[], kind: TargetKind): Header[] {
  const named = new Set<string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'connection') {
      for (const t of value.split(',')) { const k = t.trim().toLowerCase(); if (k) named.add(k); }
    }
  }
  const out: Header[] = [];
  let sawHost = false;
  for (const [name, value] of headers) {
    if (!TOKEN.test(name)) throw new ZurlBadRequestError(`invalid header name '${name}'`);
    if (BAD_VALUE.test(value)) throw new ZurlBadRequestError(`invalid value for header '${name}'`);
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    if (kind === 'ws' && WS_HANDSHAKE.has(lower)) continue;
    if (lower === 'host') {
      if (sawHost) continue;
      sawHost = true;
    }
    out.push([name, value]);
  }
  return out;
}

/** First value of a header (case-insensitive), if present. */
export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** Headers without any named `name` (case-insensitive). */
export function withoutHeader(headers: readonly Header[], name: string): Header[] {
  const lower = name.toLowerCase();
  return headers.filter(([n]) => n.toLowerCase() !== lower);
}
