import { UnencodableError } from './errors.js';
import { TnFloat, type TnValue } from './value.js';

const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const HASH = 0x23; // #
const CARET = 0x5e; // ^
const BANG = 0x21; // !
const TILDE = 0x7e; // ~
const LIST_END = 0x5d; // ]
const MAP_END = 0x7d; // }
/** Strings up to this length are measured and copied with a plain loop instead of a call into C++. */
const SHORT_STRING = 32;
/** Byte strings up to this length are copied with a plain loop instead of `set`. */
const SHORT_BYTES = 16;
const hasOwn = Object.prototype.hasOwnProperty;

// Encoding takes two passes over the value. The size pass computes the total length and
// records, in traversal order, what the write pass cannot cheaply recompute: the UTF-8 length
// of every string, the payload length of every container, and the text of every number that
// is not a safe integer. The write pass then fills one `Buffer.allocUnsafe` from front to back.
// Both passes visit the same values in the same order, so the records are read back with a
// running index.
class EncodeState {
  sizes: number[] = [];
  nSizes = 0;
  texts: string[] = [];
  nTexts = 0;
}

// The state is reused between calls. Encoding can run user code (getters, Map subclasses), so a
// nested call made while it is in use gets a state of its own.
const shared = new EncodeState();
const MAX_KEPT_SIZES = 4096;
let sharedInUse = false;

/** Number of decimal digits of the non-negative safe integer `n`. */
function digitCount(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  let d = 5;
  for (let p = 100000; n >= p; p *= 10) d++;
  return d;
}

/** Writes the decimal digits of the non-negative safe integer `n` at `off`; returns the end. */
function writeUint(buf: Buffer, off: number, n: number): number {
  if (n < 10) { buf[off] = DIGIT_0 + n; return off + 1; }
  const end = off + digitCount(n);
  let p = end;
  while (n >= 10) {
    const r = n % 10;
    buf[--p] = DIGIT_0 + r;
    n = (n - r) / 10;
  }
  buf[--p] = DIGIT_0 + n;
  return end;
}

function utf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT_STRING) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  }
  return n;
}

/** Size of `<len>:<payload><tag>` for a payload of `len` bytes. */
function framed(len: number): number {
  return digitCount(len) + len + 2;
}

function sizeText(st: EncodeState, text: string): number {
  st.texts[st.nTexts++] = text;
  return framed(text.length);
}

function sizeString(st: EncodeState, s: string): number {
  const len = utf8Length(s);
  st.sizes[st.nSizes++] = len;
  return framed(len);
}

function sizeNumber(st: EncodeState, v: number): number {
  if (Number.isSafeInteger(v)) return framed(v < 0 ? digitCount(-v) + 1 : digitCount(v));
  if (!Number.isFinite(v)) throw new UnencodableError(`cannot encode ${v}`);
  return sizeText(st, String(v));
}

/** Size pass: returns the encoded size of `v` and records what the write pass needs. */
function sizeOf(st: EncodeState, v: TnValue): number {
  switch (typeof v) {
    case 'string':
      return sizeString(st, v);
    case 'number':
      return sizeNumber(st, v);
    case 'boolean':
      return v ? 7 : 8;
    case 'undefined':
      return 3;
    case 'bigint':
      return sizeText(st, v.toString());
    default:
      break;
  }
  if (v === null) return 3;
  if (v instanceof Uint8Array) return framed(v.length);
  if (v instanceof TnFloat) {
    if (!Number.isFinite(v.value)) throw new UnencodableError(`cannot encode ${v.value}`);
    return sizeText(st, String(v.value));
  }
  const idx = st.nSizes++;
  let len = 0;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) len += sizeOf(st, v[i] as TnValue);
  } else if (v instanceof Map) {
    for (const [k, val] of v.entries()) {
      if (val === undefined) continue; // absent fields are omitted, never encoded as null
      len += typeof k === 'string' ? sizeString(st, k) : sizeOf(st, k);
      len += sizeOf(st, val);
    }
  } else {
    // for-in over own properties visits the same keys in the same order as Object.keys
    // without allocating an array of them.
    for (const k in v) {
      if (!hasOwn.call(v, k)) continue;
      const val = (v as Record<string, TnValue>)[k];
      if (val === undefined) continue;
      len += sizeString(st, k);
      len += sizeOf(st, val);
    }
  }
  st.sizes[idx] = len;
  return framed(len);
}

function writeText(st: EncodeState, buf: Buffer, off: number, tag: number): number {
  const text = st.texts[st.nTexts++]!;
  off = writeUint(buf, off, text.length);
  buf[off++] = COLON;
  off += buf.write(text, off, text.length, 'latin1');
  buf[off] = tag;
  return off + 1;
}

function writeString(st: EncodeState, buf: Buffer, off: number, s: string): number {
  const len = st.sizes[st.nSizes++]!;
  off = writeUint(buf, off, len);
  buf[off++] = COLON;
  if (len === s.length && len <= SHORT_STRING) {
    for (let i = 0; i < len; i++) buf[off + i] = s.charCodeAt(i);
  } else if (buf.write(s, off, len, len === s.length ? 'latin1' : 'utf8') !== len) {
    throw new UnencodableError('value changed while it was being encoded');
  }
  off += len;
  buf[off] = COMMA;
  return off + 1;
}

function writeBytes(buf: Buffer, off: number, b: Uint8Array): number {
  const len = b.length;
  off = writeUint(buf, off, len);
  buf[off++] = COLON;
  if (len <= SHORT_BYTES) {
    for (let i = 0; i < len; i++) buf[off + i] = b[i]!;
  } else {
    buf.set(b, off);
  }
  off += len;
  buf[off] = COMMA;
  return off + 1;
}

function writeNumber(st: EncodeState, buf: Buffer, off: number, v: number): number {
  if (!Number.isSafeInteger(v)) return writeText(st, buf, off, Number.isInteger(v) ? HASH : CARET);
  const neg = v < 0;
  const a = neg ? -v : v;
  off = writeUint(buf, off, neg ? digitCount(a) + 1 : digitCount(a));
  buf[off++] = COLON;
  if (neg) buf[off++] = MINUS;
  off = writeUint(buf, off, a);
  buf[off] = HASH;
  return off + 1;
}

function writeBool(buf: Buffer, off: number, v: boolean): number {
  // 4:true! or 5:false!
  if (v) {
    buf[off] = 0x34; buf[off + 1] = COLON; buf[off + 2] = 0x74; buf[off + 3] = 0x72; buf[off + 4] = 0x75; buf[off + 5] = 0x65; buf[off + 6] = BANG;
    return off + 7;
  }
  buf[off] = 0x35; buf[off + 1] = COLON; buf[off + 2] = 0x66; buf[off + 3] = 0x61; buf[off + 4] = 0x6c; buf[off + 5] = 0x73; buf[off + 6] = 0x65; buf[off + 7] = BANG;
  return off + 8;
}

function writeNull(buf: Buffer, off: number): number {
  buf[off] = DIGIT_0; buf[off + 1] = COLON; buf[off + 2] = TILDE;
  return off + 3;
}

/** Write pass: writes `v` at `off` and returns the offset after it. */
function writeValue(st: EncodeState, buf: Buffer, off: number, v: TnValue): number {
  switch (typeof v) {
    case 'string':
      return writeString(st, buf, off, v);
    case 'number':
      return writeNumber(st, buf, off, v);
    case 'boolean':
      return writeBool(buf, off, v);
    case 'undefined':
      return writeNull(buf, off);
    case 'bigint':
      return writeText(st, buf, off, HASH);
    default:
      break;
  }
  if (v === null) return writeNull(buf, off);
  if (v instanceof Uint8Array) return writeBytes(buf, off, v);
  if (v instanceof TnFloat) return writeText(st, buf, off, CARET);
  const len = st.sizes[st.nSizes++]!;
  off = writeUint(buf, off, len);
  buf[off++] = COLON;
  const start = off;
  let tag: number;
  if (Array.isArray(v)) {
    tag = LIST_END;
    for (let i = 0; i < v.length; i++) off = writeValue(st, buf, off, v[i] as TnValue);
  } else if (v instanceof Map) {
    tag = MAP_END;
    for (const [k, val] of v.entries()) {
      if (val === undefined) continue;
      off = typeof k === 'string' ? writeString(st, buf, off, k) : writeValue(st, buf, off, k);
      off = writeValue(st, buf, off, val);
    }
  } else {
    tag = MAP_END;
    for (const k in v) {
      if (!hasOwn.call(v, k)) continue;
      const val = (v as Record<string, TnValue>)[k];
      if (val === undefined) continue;
      off = writeString(st, buf, off, k);
      off = writeValue(st, buf, off, val);
    }
  }
  if (off - start !== len) throw new UnencodableError('value changed while it was being encoded');
  buf[off] = tag;
  return off + 1;
}

function encodeInto(prefix: Uint8Array | undefined, v: TnValue): Buffer {
  const nested = sharedInUse;
  const st = nested ? new EncodeState() : shared;
  sharedInUse = true;
  try {
    st.nSizes = 0;
    st.nTexts = 0;
    const head = prefix === undefined ? 0 : prefix.length;
    const total = head + sizeOf(st, v);
    const buf = Buffer.allocUnsafe(total);
    if (prefix !== undefined) buf.set(prefix, 0);
    st.nSizes = 0;
    st.nTexts = 0;
    if (writeValue(st, buf, head, v) !== total) throw new UnencodableError('value changed while it was being encoded');
    return buf;
  } finally {
    if (!nested) {
      sharedInUse = false;
      // Do not keep number texts, or the records of a huge value, alive between calls.
      if (st.nTexts > 0) st.texts = [];
      if (st.nSizes > MAX_KEPT_SIZES) st.sizes = [];
    }
  }
}

/**
 * Encodes a value as one contiguous tnetstring Buffer. Object keys are emitted in insertion
 * order; `undefined` map values are skipped.
 * @throws UnencodableError (PP_ERR_TNET_UNENCODABLE) for NaN/Infinity.
 * @example encode({ foo: 'bar' }).toString() // => '12:3:foo,3:bar,}'
 */
export function encode(v: TnValue): Buffer {
  return encodeInto(undefined, v);
}

/**
 * Like `encode`, but the returned Buffer starts with the bytes of `prefix`, followed by the
 * tnetstring. One allocation, no concat (e.g. the `T` in front of a ZHTTP packet).
 * @throws UnencodableError (PP_ERR_TNET_UNENCODABLE) for NaN/Infinity.
 * @example encodeWithPrefix(Buffer.from('T'), { foo: 'bar' }).toString() // => 'T12:3:foo,3:bar,}'
 */
export function encodeWithPrefix(prefix: Buffer, v: TnValue): Buffer {
  return encodeInto(prefix, v);
}
