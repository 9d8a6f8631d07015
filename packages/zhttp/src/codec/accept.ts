import type { TnMap, TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcFormatError } from '../errors.js';
import type { Header } from './packet.js';

/**
 * Payloads of the proxy → handler ZRPC calls (`inspect`, `accept`) and of the handler → proxy
 * `retry` packets, with Pushpin's field names (architecture.md §5.2).
 */

/** An HTTP request or response as carried inside ZRPC maps. */
export interface RequestData { method: string; uri: string; headers: Header[]; body: Buffer }
export interface ResponseData { code: number; reason: string; headers: Header[]; body: Buffer }

/** One client session being handed over (`requests` list entry). */
export interface AcceptRequest {
  rid: { sender: string; id: string };
  https: boolean;
  peerAddress?: string;
  logicalPeerAddress?: string;
  debug: boolean;
  isRetry: boolean;
  autoCrossOrigin: boolean;
  inSeq: number;
  outSeq: number;
  outCredits: number;
  userData?: TnValue;
}

export interface AcceptArgs {
  requests: AcceptRequest[];
  requestData: RequestData;
  origRequestData?: RequestData;
  response: ResponseData;
  route?: string;
  channelPrefix?: string;
  trusted: boolean;
  /** Route-level sig_iss/sig_key, so handler-originated requests can be signed the same way. */
  sigIss?: string;
  sigKey?: string;
}

/** Reply value of `accept`. With accepted=false and a response, the proxy sends that response itself. */
export interface AcceptResult { accepted: boolean; response?: ResponseData }

const b = (s: string) => Buffer.from(s, 'latin1');
const headersOut = (hs: Header[]): TnValue => hs.map(([k, v]) => [b(k), b(v)]);

function asMap(v: TnValue | undefined, what: string): TnMap {
  if (v === null || v === undefined || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v instanceof Uint8Array || v instanceof Map) {
    throw new ZrpcFormatError(`${what} is not a map`);
  }
  return v as TnMap;
}
function s(m: TnMap, k: string, what: string): string {
  const v = m[k];
  if (!Buffer.isBuffer(v)) throw new ZrpcFormatError(`${what}.${k} is not a byte string`);
  return v.toString('latin1');
}
function so(m: TnMap, k: string): string | undefined {
  const v = m[k];
  return Buffer.isBuffer(v) ? v.toString('latin1') : undefined;
}
function n(m: TnMap, k: string, what: string): number {
  const v = m[k];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v) && /^-?\d+$/.test(v.toString('latin1'))) return Number(v.toString('latin1'));
  throw new ZrpcFormatError(`${what}.${k} is not an integer`);
}
function bo(m: TnMap, k: string): boolean { return m[k] === true; }
function hs(m: TnMap, k: string, what: string): Header[] {
  const v = m[k];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ZrpcFormatError(`${what}.${k} is not a list`);
  return v.map((h) => {
    if (!Array.isArray(h) || !Buffer.isBuffer(h[0]) || !Buffer.isBuffer(h[1])) throw new ZrpcFormatError(`${what}.${k} has a bad header`);
    return [h[0].toString('latin1'), h[1].toString('latin1')] as Header;
  });
}
function body(m: TnMap, k: string): Buffer {
  const v = m[k];
  return Buffer.isBuffer(v) ? v : Buffer.alloc(0);
}

export function encodeRequestData(r: RequestData): TnValue {
  return { method: b(r.method), uri: b(r.uri), headers: headersOut(r.headers), body: r.body };
}
export function decodeRequestData(v: TnValue | undefined, what = 'request-data'): RequestData {
  const m = asMap(v, what);
  return { method: s(m, 'method', what), uri: s(m, 'uri', what), headers: hs(m, 'headers', what), body: body(m, 'body') };
}
export function encodeResponseData(r: ResponseData): TnValue {
  return { code: r.code, reason: b(r.reason), headers: headersOut(r.headers), body: r.body };
}
export function decodeResponseData(v: TnValue | undefined, what = 'response'): ResponseData {
  const m = asMap(v, what);
  return { code: n(m, 'code', what), reason: so(m, 'reason') ?? '', headers: hs(m, 'headers', what), body: body(m, 'body') };
}

export function encodeAcceptRequest(r: AcceptRequest): TnValue {
  const m: Record<string, TnValue> = {
    rid: { sender: b(r.rid.sender), id: b(r.rid.id) },
    'in-seq': r.inSeq,
    'out-seq': r.outSeq,
    'out-credits': r.outCredits,
  };
  if (r.https) m['https'] = true;
  if (r.peerAddress !== undefined) m['peer-address'] = b(r.peerAddress);
  if (r.logicalPeerAddress !== undefined) m['logical-peer-address'] = b(r.logicalPeerAddress);
  if (r.debug) m['debug'] = true;
  if (r.isRetry) m['is-retry'] = true;
  if (r.autoCrossOrigin) m['auto-cross-origin'] = true;
  if (r.userData !== undefined) m['user-data'] = r.userData;
  return m;
}
export function decodeAcceptRequest(v: TnValue | undefined): AcceptRequest {
  const m = asMap(v, 'requests[]');
  const rid = asMap(m['rid'], 'requests[].rid');
  const out: AcceptRequest = {
    rid: { sender: s(rid, 'sender', 'rid'), id: s(rid, 'id', 'rid') },
    https: bo(m, 'https'),
    debug: bo(m, 'debug'),
    isRetry: bo(m, 'is-retry'),
    autoCrossOrigin: bo(m, 'auto-cross-origin'),
    inSeq: n(m, 'in-seq', 'requests[]'),
    outSeq: n(m, 'out-seq', 'requests[]'),
    outCredits: n(m, 'out-credits', 'requests[]'),
  };
  const pa = so(m, 'peer-address'); if (pa !== undefined) out.peerAddress = pa;
  const lpa = so(m, 'logical-peer-address'); if (lpa !== undefined) out.logicalPeerAddress = lpa;
  if (m['user-data'] !== undefined) out.userData = m['user-data'];
  return out;
}

export function encodeAcceptArgs(a: AcceptArgs): Record<string, TnValue> {
  const m: Record<string, TnValue> = {
    requests: a.requests.map(encodeAcceptRequest),
    'request-data': encodeRequestData(a.requestData),
    response: encodeResponseData(a.response),
  };
  if (a.origRequestData) m['orig-request-data'] = encodeRequestData(a.origRequestData);
  if (a.route !== undefined) m['route'] = b(a.route);
  if (a.channelPrefix) m['channel-prefix'] = b(a.channelPrefix);
  if (a.trusted) m['trusted'] = true;
  if (a.sigIss !== undefined) m['sig-iss'] = b(a.sigIss);
  if (a.sigKey !== undefined) m['sig-key'] = b(a.sigKey);
  return m;
}

/** @throws ZrpcFormatError (PP_ERR_ZRPC_FORMAT) naming the bad field. */
export function decodeAcceptArgs(args: TnMap): AcceptArgs {
  const reqs = args['requests'];
  if (!Array.isArray(reqs)) throw new ZrpcFormatError('accept: requests is not a list');
  const out: AcceptArgs = {
    requests: reqs.map(decodeAcceptRequest),
    requestData: decodeRequestData(args['request-data']),
    response: decodeResponseData(args['response']),
    trusted: bo(args, 'trusted'),
  };
  if (args['orig-request-data'] !== undefined) out.origRequestData = decodeRequestData(args['orig-request-data'], 'orig-request-data');
  const route = so(args, 'route'); if (route !== undefined) out.route = route;
  const cp = so(args, 'channel-prefix'); if (cp !== undefined) out.channelPrefix = cp;
  const si = so(args, 'sig-iss'); if (si !== undefined) out.sigIss = si;
  const sk = so(args, 'sig-key'); if (sk !== undefined) out.sigKey = sk;
  return out;
}

export function encodeAcceptResult(r: AcceptResult): TnValue {
  return r.response ? { accepted: r.accepted, response: encodeResponseData(r.response) } : { accepted: r.accepted };
}
export function decodeAcceptResult(v: TnValue): AcceptResult {
  const m = asMap(v, 'accept result');
  const out: AcceptResult = { accepted: m['accepted'] === true };
  if (m['response'] !== undefined && m['response'] !== null) out.response = decodeResponseData(m['response']);
  return out;
}

/**
 * A handler → proxy `retry` packet (one frame, raw tnetstring; architecture.md §2.4, §5.5): the
 * handler gives sessions back for a new backend round trip (a long-poll update, grip.md §9.2).
 * Captured from Pushpin 1.36: `{requests:[{rid, in-seq, out-seq, out-credits, peer-address}],
 * route, request-data:{method, uri, headers, body}}`.
 */
export interface RetryPacket {
  requests: AcceptRequest[];
  requestData: RequestData;
  route?: string;
}

/** @throws ZrpcFormatError naming the first missing or mistyped field. */
export function decodeRetryPacket(v: TnValue): RetryPacket {
  const m = asMap(v, 'retry packet');
  const reqs = m['requests'];
  if (!Array.isArray(reqs) || reqs.length === 0) throw new ZrpcFormatError('retry: requests is not a non-empty list');
  const out: RetryPacket = { requests: reqs.map(decodeAcceptRequest), requestData: decodeRequestData(m['request-data']) };
  const route = so(m, 'route'); if (route !== undefined) out.route = route;
  return out;
}

export function encodeRetryPacket(r: RetryPacket): TnValue {
  const m: Record<string, TnValue> = { requests: r.requests.map(encodeAcceptRequest), 'request-data': encodeRequestData(r.requestData) };
  if (r.route !== undefined) m['route'] = b(r.route);
  return m;
}
