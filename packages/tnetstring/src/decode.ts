import { InvalidDataError, InvalidKeyError, InvalidLengthError, UnexpectedEndError, UnknownTagError, WrongTypeError } from './errors.js';
import type { TnMap, TnValue } from './value.js';

const COLON = 0x3a;
const MAX_LENGTH_DIGITS = 10;
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface Cursor { value: TnValue; next: number }

function parseLength(buf: Buffer, start: number, end: number): { length: number; payload: number } {
  let i = start;
  let length = 0;
  while (i < end) {
    const c = buf[i]!;
    if (c === COLON) break;
    if (c < 0x30 || c > 0x39) throw new InvalidLengthError(`non-digit in length prefix at offset ${i}`);
    if (i - start >= MAX_LENGTH_DIGITS) throw new InvalidLengthError(`length prefix too long at offset ${start}`);
    length = length * 10 + (c - 0x30);
    i++;
  }
  if (i >= end) throw new UnexpectedEndError(start === end ? 'unexpected end of input' : `missing ':' after length at offset ${start}`);
  if (i === start) throw new InvalidLengthError(`empty length prefix at offset ${start}`);
  const payload = i + 1;
  if (payload + length + 1 > end) throw new UnexpectedEndError(`payload of ${length} bytes at offset ${payload} runs past the end`);
  return { length, payload };
}

function parseInt64(text: string): number | bigint {
  if (!/^-?[0-9]+$/.test(text)) throw new InvalidDataError(`invalid integer ${JSON.stringify(text.slice(0, 40))}`);
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

function parseFloatStrict(text: string): number {
  if (!/^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(text)) throw new InvalidDataError(`invalid float ${JSON.stringify(text.slice(0, 40))}`);
  return Number(text);
}

function decodeAt(buf: Buffer, start: number, end: number): Cursor {
  const { length, payload } = parseLength(buf, start, end);
  const pend = payload + length;
  const tag = buf[pend];
  const next = pend + 1;
  switch (tag) {
    case 0x2c: // ,
      return { value: buf.subarray(payload, pend), next };
    case 0x23: // #
      return { value: parseInt64(buf.toString('latin1', payload, pend)), next };
    case 0x5e: // ^
      return { value: parseFloatStrict(buf.toString('latin1', payload, pend)), next };
    case 0x21: { // !
      const t = buf.toString('latin1', payload, pend);
      if (t === 'true') return { value: true, next };
      if (t === 'false') return { value: false, next };
      throw new InvalidDataError(`invalid boolean ${JSON.stringify(t.slice(0, 40))}`);
    }
    case 0x7e: // ~ (a non-empty payload is tolerated, as Pushpin's C++ parser does)
      return { value: null, next };
    case 0x5d: { // ]
      const list: TnValue[] = [];
      let i = payload;
      while (i < pend) {
        const c = decodeAt(buf, i, pend);
        list.push(c.value);
        i = c.next;
      }
      return { value: list, next };
    }
    case 0x7d: { // }
      const map: TnMap = Object.create(null) as TnMap;
      let i = payload;
      while (i < pend) {
        const k = decodeAt(buf, i, pend);
        if (!Buffer.isBuffer(k.value)) throw new InvalidKeyError(`map key at offset ${i} is not a byte string`);
        let key: string;
        try { key = utf8.decode(k.value); } catch { throw new InvalidKeyError(`map key at offset ${i} is not valid UTF-8`); }
        if (k.next >= pend) throw new UnexpectedEndError(`map key ${JSON.stringify(key)} has no value`);
        const v = decodeAt(buf, k.next, pend);
        map[key] = v.value;
        i = v.next;
      }
      return { value: map, next };
    }
    default:
      throw new UnknownTagError(`unknown tag ${tag === undefined ? 'EOF' : JSON.stringify(String.fromCharCode(tag))} at offset ${pend}`);
  }
}

/**
 * Decodes one tnetstring value from the start of `input` (trailing bytes are ignored, as
 * Pushpin's parsers do). Byte strings are returned as views into `input`.
 * @throws TnetstringError with codes PP_ERR_TNET_* on malformed input.
 * @example decode(Buffer.from('5:hello,')) // => <Buffer 68 65 6c 6c 6f>
 */
export function decode(input: Uint8Array): TnValue {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  return decodeAt(buf, 0, buf.length).value;
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
