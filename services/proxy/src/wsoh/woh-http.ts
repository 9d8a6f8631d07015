/**
 * Pure parts of WebSocket-over-HTTP (websocket-over-http.md §1, §3, §7.1): request headers
 * towards the backend, reading the backend's response headers, the client's 101 headers and
 * the `grip` extension.
 */
import { getHeaderValues, getParam, parseHeaderParams, splitHeaderList, WS_EVENTS_CONTENT_TYPE } from '@pushpin-ts/grip';
import type { Header } from '@pushpin-ts/zhttp';
import { headerValue, setHeader } from '../headers.js';

/** Largest response body accepted from the backend (§3). */
export const MAX_RESPONSE_BODY = 1_000_000;
/** Largest rejection body relayed to the client (§3). */
export const MAX_REJECT_BODY = 100_000;
/** Content bytes of client messages per request (§4.1). */
export const MAX_REQUEST_CONTENT = 200_000;
/** Keep-Alive-Interval floor in seconds (§3.2). */
export const MIN_KEEP_ALIVE_INTERVAL = 20;
/** Default GRIP message prefix (§7.1). */
export const DEFAULT_MESSAGE_PREFIX = 'm:';

// §1: removed from the client's handshake headers before they go to the backend.
const REQUEST_REMOVED: ReadonlySet<string> = new Set([
  'upgrade', 'accept', 'connection-id', 'content-length', 'content-type', 'sec-websocket-extensions', 'transfer-encoding', 'connection',
]);
// §3.1: not passed from the OPEN response to the client's 101.
const HANDSHAKE_REMOVED: ReadonlySet<string> = new Set([
  'content-length', 'content-type', 'keep-alive-interval', 'sec-websocket-extensions', 'transfer-encoding',
  'connection', 'upgrade', 'sec-websocket-accept', 'keep-alive', 'content-encoding',
]);

export interface WohRequestOptions {
  /** Route has GRIP (not `no_grip`): offer the `grip` extension. */
  grip: boolean;
  /** Fresh Grip-Sig for this request, if signing applies. */
  gripSig?: string;
  cid: string;
  meta: ReadonlyMap<string, string>;
}

/**
 * Headers of one WOH request: `base` is the rewritten client handshake (target headers),
 * cleaned as §1 says, plus the WOH headers. Content-Length is left to the HTTP client.
 */
export function wohRequestHeaders(base: readonly Header[], o: WohRequestOptions): Header[] {
  let hs: Header[] = base.filter(([k]) => {
    const n = k.toLowerCase();
    return !REQUEST_REMOVED.has(n) && !n.startsWith('meta-');
  });
  if (o.gripSig !== undefined) hs = setHeader(hs, 'Grip-Sig', o.gripSig);
  if (o.grip) hs.push(['Sec-WebSocket-Extensions', 'grip']);
  hs.push(['Accept', WS_EVENTS_CONTENT_TYPE], ['Connection-Id', o.cid], ['Content-Type', WS_EVENTS_CONTENT_TYPE]);
  for (const [k, v] of o.meta) hs.push([`Meta-${k}`, v]);
  return hs;
}

export interface GripExtension { prefix: string }

/**
 * The `grip` element of `Sec-WebSocket-Extensions` values, if present.
 * @example gripExtension(['grip; message-prefix=""']) // { prefix: '' }
 */
export function gripExtension(values: readonly string[]): GripExtension | undefined {
  for (const el of splitHeaderList(values)) {
    const p = parseHeaderParams(el);
    if (!p || p.value.toLowerCase() !== 'grip') continue;
    const prefix = getParam(p.params, 'message-prefix');
    return { prefix: prefix ?? DEFAULT_MESSAGE_PREFIX };
  }
  return undefined;
}

export interface WohResponseInfo {
  /** 200 with exactly `application/websocket-events`. */
  ok: boolean;
  /** Meta changes in order; empty value = delete. */
  setMeta: Array<[string, string]>;
  /** undefined = header absent (unchanged); 0 = disabled; else seconds (≥ 20). */
  keepAliveInterval: number | undefined;
  grip: GripExtension | undefined;
}

/** Reads a WOH response head (§3, §3.2). */
export function readWohResponse(code: number, headers: readonly Header[]): WohResponseInfo {
  const ct = headerValue(headers, 'Content-Type');
  const setMeta: Array<[string, string]> = [];
  for (const [k, v] of headers) {
    if (k.length > 9 && k.toLowerCase().startsWith('set-meta-')) setMeta.push([k.slice(9), v]);
  }
  let keepAliveInterval: number | undefined;
  const ka = headerValue(headers, 'Keep-Alive-Interval');
  if (ka !== undefined) {
    const n = /^\s*-?\d+\s*$/.test(ka) ? Number(ka) : 0;
    keepAliveInterval = n > 0 ? Math.max(MIN_KEEP_ALIVE_INTERVAL, n) : 0;
  }
  return {
    ok: code === 200 && ct === WS_EVENTS_CONTENT_TYPE,
    setMeta,
    keepAliveInterval,
    grip: gripExtension(getHeaderValues(headers, 'Sec-WebSocket-Extensions')),
  };
}

/** Applies Set-Meta changes to the connection's meta (names kept as the backend wrote them). */
export function applySetMeta(meta: Map<string, string>, changes: ReadonlyArray<readonly [string, string]>): void {
  for (const [name, value] of changes) {
    for (const k of [...meta.keys()]) if (k.toLowerCase() === name.toLowerCase()) meta.delete(k);
    if (value !== '') meta.set(name, value);
  }
}

/** Headers of the client's 101 from the OPEN response (§3.1). */
export function handshakeHeaders(headers: readonly Header[]): Header[] {
  return headers.filter(([k]) => {
    const n = k.toLowerCase();
    return !HANDSHAKE_REMOVED.has(n) && !n.startsWith('set-meta-');
  });
}

export type BackendMessageAction =
  | { kind: 'control'; json: Buffer }
  | { kind: 'relay'; content: Buffer }
  | { kind: 'drop' };

/**
 * What GRIP mode does with one complete TEXT/BINARY message from the backend (§7.1).
 * @example classifyBackendMessage('text', Buffer.from('m:hi'), 'm:') // { kind: 'relay', content: <hi> }
 */
export function classifyBackendMessage(type: 'text' | 'binary', content: Buffer, prefix: string): BackendMessageAction {
  if (type === 'text' && content.length >= 2 && content[0] === 0x63 && content[1] === 0x3a) {
    return { kind: 'control', json: content.subarray(2) };
  }
  const p = Buffer.from(prefix, 'utf8');
  if (p.length === 0) return { kind: 'relay', content };
  if (content.length >= p.length && content.subarray(0, p.length).equals(p)) return { kind: 'relay', content: content.subarray(p.length) };
  return { kind: 'drop' };
}

/** A plain HTTP request that carries WebSocket events (refused from untrusted clients, §1). */
export function isWsEventsRequest(headers: readonly Header[]): boolean {
  return headerValue(headers, 'Content-Type')?.trim().toLowerCase() === WS_EVENTS_CONTENT_TYPE;
}
