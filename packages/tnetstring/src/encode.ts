import { UnencodableError } from './errors.js';
import { TnFloat, type TnValue } from './value.js';

const TAG_COMMA = 0x2c;

// Encoding walks the value once, collecting Buffers; container lengths are computed from the
// children's sizes, so the output is assembled with a single Buffer.concat.
function enc(v: TnValue, out: Buffer[]): number {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return pushScalar(out, b, TAG_COMMA);
  }
  if (Buffer.isBuffer(v)) return pushScalar(out, v, TAG_COMMA);
  if (v instanceof Uint8Array) return pushScalar(out, Buffer.from(v.buffer, v.byteOffset, v.byteLength), TAG_COMMA);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new UnencodableError(`cannot encode ${v}`);
    if (Number.isInteger(v)) return pushText(out, String(v), '#');
    return pushText(out, String(v), '^');
  }
  if (typeof v === 'bigint') return pushText(out, v.toString(), '#');
  if (v instanceof TnFloat) {
    if (!Number.isFinite(v.value)) throw new UnencodableError(`cannot encode ${v.value}`);
    return pushText(out, String(v.value), '^');
  }
  if (typeof v === 'boolean') return pushText(out, v ? 'true' : 'false', '!');
  if (v === null || v === undefined) { out.push(NULL); return 3; }
  if (Array.isArray(v)) {
    const hdrIdx = out.length;
    out.push(EMPTY);
    let len = 0;
    for (const item of v) len += enc(item, out);
    return finishContainer(out, hdrIdx, len, ']');
  }
  const hdrIdx = out.length;
  out.push(EMPTY);
  let len = 0;
  const entries: Iterable<[string, TnValue]> = v instanceof Map ? v.entries() : Object.entries(v);
  for (const [k, val] of entries) {
    if (val === undefined) continue; // absent fields are omitted, never encoded as null
    len += enc(k, out);
    len += enc(val, out);
  }
  return finishContainer(out, hdrIdx, len, '}');
}

const EMPTY = Buffer.alloc(0);
const NULL = Buffer.from('0:~');

function pushScalar(out: Buffer[], payload: Buffer, tag: number): number {
  const head = Buffer.from(`${payload.length}:`, 'latin1');
  out.push(head, payload, TAGS[tag]!);
  return head.length + payload.length + 1;
}

const TAGS: Record<number, Buffer> = { [TAG_COMMA]: Buffer.from(',') };

function pushText(out: Buffer[], text: string, tag: string): number {
  const s = `${text.length}:${text}${tag}`;
  out.push(Buffer.from(s, 'latin1'));
  return s.length;
}

function finishContainer(out: Buffer[], hdrIdx: number, len: number, tag: string): number {
  const head = Buffer.from(`${len}:`, 'latin1');
  out[hdrIdx] = head;
  out.push(Buffer.from(tag, 'latin1'));
  return head.length + len + 1;
}

/**
 * Encodes a value as one contiguous tnetstring Buffer. Object keys are emitted in insertion
 * order; `undefined` map values are skipped.
 * @throws UnencodableError (PP_ERR_TNET_UNENCODABLE) for NaN/Infinity.
 * @example encode({ foo: 'bar' }).toString() // => '12:3:foo,3:bar,}'
 */
export function encode(v: TnValue): Buffer {
  const out: Buffer[] = [];
  const total = enc(v, out);
  return Buffer.concat(out, total);
}
