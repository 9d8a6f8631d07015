import { InvalidDataError, InvalidKeyError, InvalidLengthError, UnexpectedEndError, UnknownTagError, WrongTypeError } from './errors.js';
import type { TnMap, TnValue } from './value.js';

const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const MAX_LENGTH_DIGITS = 10;
const utf8 = new TextDecoder('utf-8', { fatal: true });

// The decoder is a set of plain recursive functions sharing one read position. Decoding
// never calls user code, so nothing can re-enter it while `pos` is in use; `decode` resets
// it on every call. Nothing is allocated apart from the decoded values themselves.
let pos = 0;

/**
 * Reads the `<digits>:` head at `pos` and checks that the payload and its tag fit before
 * `end`. Returns the payload length and leaves `pos` at the first payload byte.
 */
function readLength(buf: Buffer, end: number): number {
  const start = pos;
  let i = start;
  let length = 0;
  for (;;) {
    if (i >= end) throw new UnexpectedEndError(start === end ? 'unexpected end of input' : `missing ':' after length at offset ${start}`);
    const c = buf[i]!;
    if (c === COLON) break;
    if (c < DIGIT_0 || c > 0x39) throw new InvalidLengthError(`non-digit in length prefix at offset ${i}`);
    if (i - start >= MAX_LENGTH_DIGITS) throw new InvalidLengthError(`length prefix too long at offset ${start}`);
    length = length * 10 + (c - DIGIT_0);
    i++;
  }
  if (i === start) throw new InvalidLengthError(`empty length prefix at offset ${start}`);
  const payload = i + 1;
  if (payload + length + 1 > end) throw new UnexpectedEndError(`payload of ${length} bytes at offset ${payload} runs past the end`);
  pos = payload;
  return length;
}

/** `-?[0-9]+`; values outside the safe integer range become bigint. */
function parseInt64(buf: Buffer, start: number, end: number): number | bigint {
  let i = start;
  if (i < end && buf[i] === MINUS) i++;
  const digits = i;
  let n = 0;
  for (; i < end; i++) {
    const d = buf[i]! - DIGIT_0;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
  }
  if (i !== end || i === digits) {
    throw new InvalidDataError(`invalid integer ${JSON.stringify(buf.toString('latin1', start, end).slice(0, 40))}`);
  }
  // Exact while the value is a safe integer; past that the sum only rounds upwards, so the
  // comparison still tells the two ranges apart.
  if (n <= Number.MAX_SAFE_INTEGER) return digits === start ? n : -n;
  return BigInt(buf.toString('latin1', start, end));
}

function parseFloatStrict(text: string): number {
  if (!/^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(text)) throw new InvalidDataError(`invalid float ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function parseBool(buf: Buffer, start: number, end: number): boolean {
  const n = end - start;
  if (n === 4 && buf[start] === 0x74 && buf[start + 1] === 0x72 && buf[start + 2] === 0x75 && buf[start + 3] === 0x65) return true;
  if (n === 5 && buf[start] === 0x66 && buf[start + 1] === 0x61 && buf[start + 2] === 0x6c && buf[start + 3] === 0x73 && buf[start + 4] === 0x65) return false;
  throw new InvalidDataError(`invalid boolean ${JSON.stringify(buf.toString('latin1', start, end).slice(0, 40))}`);
}

/** Decodes the value at `pos` (which must lie before `end`) and leaves `pos` just after it. */
function decodeValue(buf: Buffer, end: number): TnValue {
  const length = readLength(buf, end);
  const payload = pos;
  const pend = payload + length;
  const tag = buf[pend];
  pos = pend + 1;
  switch (tag) {
    case COMMA:
      return buf.subarray(payload, pend);
    case 0x23: // #
      return parseInt64(buf, payload, pend);
    case 0x5e: // ^
      return parseFloatStrict(buf.toString('latin1', payload, pend));
    case 0x21: // !
      return parseBool(buf, payload, pend);
    case 0x7e: // ~ (a non-empty payload is tolerated, as Pushpin's C++ parser does)
      return null;
    case 0x5d: { // ]
      const list: TnValue[] = [];
      pos = payload;
      while (pos < pend) list.push(decodeValue(buf, pend));
      pos = pend + 1;
      return list;
    }
    case 0x7d: { // }
      const map: TnMap = Object.create(null) as TnMap;
      pos = payload;
      while (pos < pend) {
        const key = decodeKey(buf, pend);
        if (pos >= pend) throw new UnexpectedEndError(`map key ${JSON.stringify(key)} has no value`);
        map[key] = decodeValue(buf, pend);
      }
      pos = pend + 1;
      return map;
    }
    default:
      throw new UnknownTagError(`unknown tag ${tag === undefined ? 'EOF' : JSON.stringify(String.fromCharCode(tag))} at offset ${pend}`);
  }
}

// Map keys repeat from packet to packet ("from", "id", "seq", ...). A small direct-mapped
// cache of recent ASCII keys returns the same string again, so a repeated key costs a hash and
// a compare instead of a new string. It only ever holds strings equal to the bytes they were
// made from, so it cannot change a result.
const KEY_CACHE_SIZE = 256; // power of two
const MAX_CACHED_KEY = 32;
const keyCache: string[] = new Array<string>(KEY_CACHE_SIZE).fill('');

/** Decodes the map key at `pos`: a byte string holding UTF-8, returned as a JS string. */
function decodeKey(buf: Buffer, end: number): string {
  const start = pos;
  const length = readLength(buf, end);
  const payload = pos;
  const pend = payload + length;
  if (buf[pend] !== COMMA) {
    // Not a byte string: decode it as a value first so that malformed keys report the same
    // error as any other value, then reject it.
    pos = start;
    decodeValue(buf, end);
    throw new InvalidKeyError(`map key at offset ${start} is not a byte string`);
  }
  pos = pend + 1;
  let hash = length;
  let high = 0;
  for (let i = payload; i < pend; i++) {
    const c = buf[i]!;
    high |= c;
    hash = (Math.imul(hash, 31) + c) | 0;
  }
  if (high >= 0x80) {
    // Not ASCII: strict UTF-8 (this also drops a leading BOM, as TextDecoder does).
    try { return utf8.decode(buf.subarray(payload, pend)); } catch { throw new InvalidKeyError(`map key at offset ${start} is not valid UTF-8`); }
  }
  if (length > MAX_CACHED_KEY) return buf.toString('latin1', payload, pend);
  const slot = (hash ^ (hash >>> 11)) & (KEY_CACHE_SIZE - 1);
  const cached = keyCache[slot]!;
  if (cached.length === length) {
    let i = 0;
    while (i < length && cached.charCodeAt(i) === buf[payload + i]) i++;
    if (i === length) return cached;
  }
  const key = buf.toString('latin1', payload, pend);
  keyCache[slot] = key;
  return key;
}

/**
 * Decodes one tnetstring value from the start of `input` (trailing bytes are ignored, as
 * Pushpin's parsers do). Byte strings are returned as views into `input`.
 * @throws TnetstringError with codes PP_ERR_TNET_* on malformed input.
 * @example decode(Buffer.from('5:hello,')) // => <Buffer 68 65 6c 6c 6f>
 */
export function decode(input: Uint8Array): TnValue {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  pos = 0;
  return decodeValue(buf, buf.length);
}

/**
 * Like `decode` but requires the top-level value to be a map.
 * @throws WrongTypeError (PP_ERR_TNET_WRONG_TYPE) when it is not.
 */
export function decodeMap(input: Uint8Array): TnMap {
  const v = decode(input);
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v instanceof Uint8Array) {
    throw new WrongTypeError('top-level value is not a map');
  }
  return v as TnMap;
}
