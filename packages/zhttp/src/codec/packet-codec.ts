import { decodeMap, encodeWithPrefix, TnetstringError, type TnMap, type TnValue } from '@pushpin-ts/tnetstring';
import { ZhttpFormatError } from '../errors.js';
import { PACKET_TYPES, type Header, type MultiId, type Packet, type PacketType } from './packet.js';

const T = 0x54;
const TBUF = Buffer.from('T');

function isBytes(v: TnValue): v is Buffer { return Buffer.isBuffer(v); }

function str(m: TnMap, k: string): string | undefined {
  const v = m[k];
  if (v === undefined || v === null) return undefined;
  if (!isBytes(v)) throw new ZhttpFormatError(`field '${k}' is not a byte string`);
  return v.toString('latin1');
}

// Pushpin's Qt parser accepts digit strings where ints are expected; so do we.
function int(m: TnMap, k: string): number | undefined {
  const v = m[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (isBytes(v)) {
    const t = v.toString('latin1');
    if (/^-?[0-9]+$/.test(t)) return Number(t);
  }
  throw new ZhttpFormatError(`field '${k}' is not an integer`);
}

function bool(m: TnMap, k: string): boolean | undefined {
  const v = m[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ZhttpFormatError(`field '${k}' is not a boolean`);
  return v;
}

function headers(m: TnMap): Header[] | undefined {
  const v = m['headers'];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw new ZhttpFormatError("field 'headers' is not a list");
  const out: Header[] = [];
  for (const h of v) {
    if (!Array.isArray(h) || h.length !== 2 || !isBytes(h[0]!) || !isBytes(h[1]!)) {
      throw new ZhttpFormatError("field 'headers' contains an element that is not a [name, value] pair");
    }
    out.push([h[0].toString('latin1'), h[1].toString('latin1')]);
  }
  return out;
}

function ids(v: TnValue): string | MultiId[] {
  if (isBytes(v)) return v.toString('latin1');
  if (Array.isArray(v)) {
    return v.map((e) => {
      if (e === null || typeof e !== 'object' || Array.isArray(e) || isBytes(e)) throw new ZhttpFormatError("multi-id entry is not a map");
      const em = e as TnMap;
      const id = str(em, 'id');
      if (id === undefined) throw new ZhttpFormatError("multi-id entry has no 'id'");
      const seq = int(em, 'seq');
      return seq === undefined ? { id } : { id, seq };
    });
  }
  throw new ZhttpFormatError("field 'id' is neither a byte string nor a list");
}

/**
 * Decodes a ZHTTP payload (`T` + tnetstring map).
 * @throws ZhttpFormatError (PP_ERR_ZHTTP_FORMAT) for an empty payload, a missing `T`, a
 * tnetstring error, a non-map top level, missing `id`, an unknown `type` or ill-typed fields.
 * @example decodePacket(Buffer.from('T25:2:id,1:1,3:seq,1:0#4:body,0:,}'))
 */
export function decodePacket(payload: Buffer): Packet {
  if (payload.length === 0 || payload[0] !== T) throw new ZhttpFormatError('payload does not start with T');
  let m: TnMap;
  try {
    m = decodeMap(payload.subarray(1));
  } catch (e) {
    if (e instanceof TnetstringError) throw new ZhttpFormatError(`tnetstring parse failed: ${e.message}`);
    throw e;
  }
  const idv = m['id'];
  if (idv === undefined || idv === null) throw new ZhttpFormatError("packet has no 'id'");
  const p: Packet = { id: ids(idv) };
  const from = str(m, 'from'); if (from !== undefined) p.from = from;
  const seq = int(m, 'seq'); if (seq !== undefined) p.seq = seq;
  const type = str(m, 'type');
  if (type !== undefined) {
    if (!PACKET_TYPES.has(type)) throw new ZhttpFormatError(`unknown packet type '${type}'`);
    p.type = type as PacketType;
  }
  const condition = str(m, 'condition'); if (condition !== undefined) p.condition = condition;
  const credits = int(m, 'credits'); if (credits !== undefined) p.credits = credits;
  const more = bool(m, 'more'); if (more) p.more = true;
  const body = m['body'];
  if (body !== undefined && body !== null) {
    if (!isBytes(body)) throw new ZhttpFormatError("field 'body' is not a byte string");
    p.body = body;
  }
  const code = int(m, 'code'); if (code !== undefined) p.code = code;
  const reason = str(m, 'reason'); if (reason !== undefined) p.reason = reason;
  const hs = headers(m); if (hs !== undefined) p.headers = hs;
  const method = str(m, 'method'); if (method !== undefined) p.method = method;
  const uri = str(m, 'uri'); if (uri !== undefined) p.uri = uri;
  const ct = str(m, 'content-type');
  if (ct !== undefined) {
    if (ct !== 'text' && ct !== 'binary') throw new ZhttpFormatError(`unknown content-type '${ct}'`);
    p.contentType = ct;
  }
  if (bool(m, 'stream')) p.stream = true;
  const maxSize = int(m, 'max-size'); if (maxSize !== undefined) p.maxSize = maxSize;
  const timeout = int(m, 'timeout'); if (timeout !== undefined) p.timeout = timeout;
  const pa = str(m, 'peer-address'); if (pa !== undefined) p.peerAddress = pa;
  const pp = int(m, 'peer-port'); if (pp !== undefined) p.peerPort = pp;
  const ch = str(m, 'connect-host'); if (ch !== undefined) p.connectHost = ch;
  const cp = int(m, 'connect-port'); if (cp !== undefined) p.connectPort = cp;
  if (bool(m, 'ignore-policies')) p.ignorePolicies = true;
  if (bool(m, 'trust-connect-host')) p.trustConnectHost = true;
  if (bool(m, 'ignore-tls-errors')) p.ignoreTlsErrors = true;
  if (bool(m, 'follow-redirects')) p.followRedirects = true;
  if (bool(m, 'router-resp')) p.routerResp = true;
  const ud = m['user-data']; if (ud !== undefined) p.userData = ud;
  const pt = m['passthrough']; if (pt !== undefined) p.passthrough = pt;
  const ext = m['ext'];
  if (ext !== undefined && ext !== null && typeof ext === 'object' && !Array.isArray(ext) && !isBytes(ext)) {
    if ((ext as TnMap)['multi'] === true) p.multi = true;
  }
  return p;
}

const EXT_MULTI = { multi: true };

/**
 * Encodes a packet as `T` + tnetstring map. Booleans are only emitted when true; absent
 * fields are omitted.
 * @example encodePacket({ from: 'proxy', id: '1', seq: 0, type: 'keep-alive' })
 */
export function encodePacket(p: Packet): Buffer {
  const m: Record<string, TnValue> = {};
  if (p.from !== undefined) m['from'] = Buffer.from(p.from, 'latin1');
  m['id'] = typeof p.id === 'string'
    ? Buffer.from(p.id, 'latin1')
    : p.id.map((e) => (e.seq === undefined ? { id: Buffer.from(e.id, 'latin1') } : { id: Buffer.from(e.id, 'latin1'), seq: e.seq }));
  if (p.seq !== undefined) m['seq'] = p.seq;
  if (p.multi) m['ext'] = EXT_MULTI;
  if (p.type !== undefined) m['type'] = p.type;
  if (p.condition !== undefined) m['condition'] = p.condition;
  if (p.method !== undefined) m['method'] = Buffer.from(p.method, 'latin1');
  if (p.uri !== undefined) m['uri'] = Buffer.from(p.uri, 'latin1');
  if (p.code !== undefined) m['code'] = p.code;
  if (p.reason !== undefined) m['reason'] = Buffer.from(p.reason, 'latin1');
  if (p.headers !== undefined) m['headers'] = p.headers.map(([k, v]) => [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')]);
  if (p.contentType !== undefined) m['content-type'] = p.contentType;
  if (p.body !== undefined) m['body'] = p.body;
  if (p.more) m['more'] = true;
  if (p.credits !== undefined) m['credits'] = p.credits;
  if (p.stream) m['stream'] = true;
  if (p.maxSize !== undefined) m['max-size'] = p.maxSize;
  if (p.timeout !== undefined) m['timeout'] = p.timeout;
  if (p.peerAddress !== undefined) m['peer-address'] = Buffer.from(p.peerAddress, 'latin1');
  if (p.peerPort !== undefined) m['peer-port'] = p.peerPort;
  if (p.connectHost !== undefined) m['connect-host'] = Buffer.from(p.connectHost, 'latin1');
  if (p.connectPort !== undefined) m['connect-port'] = p.connectPort;
  if (p.ignorePolicies) m['ignore-policies'] = true;
  if (p.trustConnectHost) m['trust-connect-host'] = true;
  if (p.ignoreTlsErrors) m['ignore-tls-errors'] = true;
  if (p.followRedirects) m['follow-redirects'] = true;
  if (p.routerResp) m['router-resp'] = true;
  if (p.userData !== undefined) m['user-data'] = p.userData;
  if (p.passthrough !== undefined) m['passthrough'] = p.passthrough;
  return encodeWithPrefix(TBUF, m);
}

/** Builds a PUB frame: `<dest> ` + payload. */
export function encodePubFrame(dest: string, payload: Buffer): Buffer {
  const head = Buffer.from(`${dest} `, 'latin1');
  return Buffer.concat([head, payload], head.length + payload.length);
}

/**
 * Splits a PUB frame at the first space.
 * @throws ZhttpFormatError when there is no space.
 */
export function splitPubFrame(frame: Buffer): { dest: string; payload: Buffer } {
  const i = frame.indexOf(0x20);
  if (i < 0) throw new ZhttpFormatError('PUB frame has no address separator');
  return { dest: frame.toString('latin1', 0, i), payload: frame.subarray(i + 1) };
}
