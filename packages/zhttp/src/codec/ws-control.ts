import { decode, encode, type TnMap, type TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcFormatError } from '../errors.js';

/**
 * WS-control packets between proxy and handler (architecture.md §3.3/§3.4, §5.3; Pushpin 1.36
 * `ws-control-out` proxy PUSH → handler PULL, `ws-control-in` handler PUSH → proxy PULL).
 * One frame, raw tnetstring (no `T`): `{ from, items: [ { cid, type, … } ] }`.
 *
 * proxy → handler: `here` (session exists / refresh, with `uri`, `route`, `channel-prefix`,
 * `ttl`…), `keep-alive` (refresh), `gone`, `grip` (`message` = control JSON after `c:`),
 * `subscribe` (implicit `sub=` channel), `cancel`.
 * handler → proxy: `send` (`content-type` text/binary/ping/pong, `message`, `queue`), `close`
 * (`code`, `reason`), `detach`, `keep-alive-setup` (`content-type`, `message`, `timeout`,
 * `keep-alive-mode`; no message = off), `refresh`, `cancel` (unknown session).
 *
 * Observed from pushpin-proxy 1.36 (one item per packet, no packet-level `from`):
 * `{items:[{cid, type:"here", uri:"ws://…/x", route:"*,*,*,*", ttl:60}]}`,
 * `{items:[{cid, type:"grip", "req-id":"1", message:"{\"type\":\"subscribe\",…}"}]}`,
 * `{items:[{cid, type:"subscribe", "req-id":"0", channel:"implicit"}]}`, `{items:[{cid, type:"keep-alive", ttl:60}]}`,
 * `{items:[{cid, type:"gone"}]}`. We add `from` (several proxies may share a handler) and
 * ignore `req-id`; a missing `from` decodes as ''.
 */

export const WS_CONTROL_TYPES = [
  'here', 'keep-alive', 'gone', 'grip', 'need-keep-alive', 'subscribe', 'cancel', 'send',
  'keep-alive-setup', 'refresh', 'close', 'detach',
] as const;
export type WsControlItemType = typeof WS_CONTROL_TYPES[number];

export interface WsControlItem {
  /** Connection id (the proxy's public connection id, `Connection-Id` towards WOH backends). */
  cid: string;
  type: WsControlItemType;
  uri?: string;
  /** `text`, `binary`, `ping`, `pong`. */
  contentType?: string;
  message?: Buffer;
  /** `send`: wait for an in-progress backend message instead of dropping. */
  queue?: boolean;
  code?: number;
  reason?: string;
  debug?: boolean;
  route?: string;
  separateStats?: boolean;
  channelPrefix?: string;
  logLevel?: number;
  trusted?: boolean;
  channel?: string;
  /** Seconds the session lives without a refresh. */
  ttl?: number;
  /** Seconds (keep-alive-setup). */
  timeout?: number;
  keepAliveMode?: string;
}

export interface WsControlPacket {
  from: string;
  items: WsControlItem[];
}

const TYPES: ReadonlySet<string> = new Set(WS_CONTROL_TYPES);
const lat = (s: string): Buffer => Buffer.from(s, 'latin1');

function itemOut(it: WsControlItem): TnMap {
  const m: TnMap = { cid: lat(it.cid), type: lat(it.type) };
  if (it.uri !== undefined) m['uri'] = lat(it.uri);
  if (it.contentType !== undefined) m['content-type'] = lat(it.contentType);
  if (it.message !== undefined) m['message'] = it.message;
  if (it.queue) m['queue'] = true;
  if (it.code !== undefined) m['code'] = it.code;
  if (it.reason !== undefined) m['reason'] = Buffer.from(it.reason, 'utf8');
  if (it.debug) m['debug'] = true;
  if (it.route !== undefined) m['route'] = Buffer.from(it.route, 'utf8');
  if (it.separateStats) m['separate-stats'] = true;
  if (it.channelPrefix !== undefined) m['channel-prefix'] = Buffer.from(it.channelPrefix, 'utf8');
  if (it.logLevel !== undefined) m['log-level'] = it.logLevel;
  if (it.trusted) m['trusted'] = true;
  if (it.channel !== undefined) m['channel'] = Buffer.from(it.channel, 'utf8');
  if (it.ttl !== undefined) m['ttl'] = it.ttl;
  if (it.timeout !== undefined) m['timeout'] = it.timeout;
  if (it.keepAliveMode !== undefined) m['keep-alive-mode'] = lat(it.keepAliveMode);
  return m;
}

/**
 * Encodes a packet as one raw tnetstring frame.
 * @example encodeWsControlPacket({ from: 'p', items: [{ cid: 'c1', type: 'gone' }] }).toString()
 */
export function encodeWsControlPacket(p: WsControlPacket): Buffer {
  return encode({ from: lat(p.from), items: p.items.map(itemOut) });
}

function isMap(v: TnValue | undefined): v is TnMap {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array) && !(v instanceof Map);
}
function str(m: TnMap, k: string, enc: BufferEncoding = 'latin1'): string | undefined {
  const v = m[k];
  if (v === undefined || v === null) return undefined;
  if (Buffer.isBuffer(v)) return v.toString(enc);
  if (typeof v === 'string') return v;
  throw new ZrpcFormatError(`ws-control item field '${k}' is not a byte string`);
}
function int(m: TnMap, k: string): number | undefined {
  const v = m[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (Buffer.isBuffer(v) && /^-?\d+$/.test(v.toString('latin1'))) return Number(v.toString('latin1'));
  throw new ZrpcFormatError(`ws-control item field '${k}' is not an integer`);
}

function itemIn(v: TnValue): WsControlItem | undefined {
  if (!isMap(v)) throw new ZrpcFormatError('ws-control item is not a map');
  const cid = str(v, 'cid');
  const type = str(v, 'type');
  if (!cid) throw new ZrpcFormatError("ws-control item has no 'cid'");
  if (type === undefined) throw new ZrpcFormatError("ws-control item has no 'type'");
  if (!TYPES.has(type)) return undefined;
  const it: WsControlItem = { cid, type: type as WsControlItemType };
  const set = <K extends keyof WsControlItem>(k: K, val: WsControlItem[K] | undefined): void => { if (val !== undefined) it[k] = val; };
  set('uri', str(v, 'uri'));
  set('contentType', str(v, 'content-type'));
  const msg = v['message'];
  if (msg !== undefined && msg !== null) {
    if (Buffer.isBuffer(msg)) it.message = msg;
    else if (typeof msg === 'string') it.message = Buffer.from(msg, 'utf8');
    else throw new ZrpcFormatError("ws-control item field 'message' is not a byte string");
  }
  if (v['queue'] === true) it.queue = true;
  set('code', int(v, 'code'));
  set('reason', str(v, 'reason', 'utf8'));
  if (v['debug'] === true) it.debug = true;
  set('route', str(v, 'route', 'utf8'));
  if (v['separate-stats'] === true) it.separateStats = true;
  set('channelPrefix', str(v, 'channel-prefix', 'utf8'));
  set('logLevel', int(v, 'log-level'));
  if (v['trusted'] === true) it.trusted = true;
  set('channel', str(v, 'channel', 'utf8'));
  set('ttl', int(v, 'ttl'));
  set('timeout', int(v, 'timeout'));
  set('keepAliveMode', str(v, 'keep-alive-mode'));
  return it;
}

/**
 * Decodes one frame (a leading `T` is tolerated). Items of unknown type are skipped.
 * @throws ZrpcFormatError (PP_ERR_ZRPC_FORMAT) for bad tnetstring, a non-map packet, items
 *   without `cid`/`type`, or fields of the wrong type.
 */
export function decodeWsControlPacket(frame: Buffer): WsControlPacket {
  const raw = frame.length > 0 && frame[0] === 0x54 /* T */ ? frame.subarray(1) : frame;
  let v: TnValue;
  try {
    v = decode(raw);
  } catch (err) {
    throw new ZrpcFormatError(`ws-control packet is not a tnetstring: ${(err as Error).message}`);
  }
  if (!isMap(v)) throw new ZrpcFormatError('ws-control packet is not a map');
  const from = str(v, 'from') ?? '';
  const items = v['items'];
  if (!Array.isArray(items)) throw new ZrpcFormatError("ws-control packet has no 'items' list");
  const out: WsControlItem[] = [];
  for (const x of items) {
    const it = itemIn(x);
    if (it) out.push(it);
  }
  return { from, items: out };
}
