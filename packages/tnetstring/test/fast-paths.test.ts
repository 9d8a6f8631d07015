import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeMap, encode, encodeWithPrefix, TnFloat, type TnMap, type TnValue } from '../src/index.js';

// Cases aimed at the decoder's and encoder's fast paths: ASCII vs UTF-8 keys, the key cache,
// integers parsed from bytes, strings measured and copied in JS, the two-pass encoder.

const b = (s: string) => Buffer.from(s, 'latin1');
/** Frames a latin1 payload: `<len>:<payload><tag>`. */
const t = (payload: string, tag: string) => `${Buffer.byteLength(payload, 'latin1')}:${payload}${tag}`;
const u8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
const map = (entries: Array<[string, TnValue]>): TnMap => {
  const m = Object.create(null) as TnMap;
  for (const [k, v] of entries) m[k] = v;
  return m;
};

const decodes: Array<[string, string, TnValue]> = [
  ['ascii key', t(t('from', ',') + t('x', ','), '}'), map([['from', b('x')]])],
  ['empty key', t(t('', ',') + t('', ','), '}'), map([['', b('')]])],
  ['2-byte utf8 key', t(t(u8('é'), ',') + t('1', '#'), '}'), map([['é', 1]])],
  ['3-byte utf8 key', t(t(u8('中文'), ',') + t('', '~'), '}'), map([['中文', null]])],
  ['4-byte utf8 key', t(t(u8('k😀'), ',') + t('true', '!'), '}'), map([['k😀', true]])],
  ['mixed ascii and utf8 keys', t(t('id', ',') + t('1', '#') + t(u8('ünï'), ',') + t('2', '#'), '}'), map([['id', 1], ['ünï', 2]])],
  // Keys go through a fatal TextDecoder, which drops a leading byte order mark.
  ['key with BOM', t(t('\xef\xbb\xbfk', ',') + t('1', '#'), '}'), map([['k', 1]])],
  ['long ascii key', t(t('k'.repeat(40), ',') + t('1', '#'), '}'), map([['k'.repeat(40), 1]])],
  ['duplicate key keeps last value', t(t('a', ',') + t('1', '#') + t('a', ',') + t('2', '#'), '}'), map([['a', 2]])],
  ['zero', t('0', '#'), 0],
  ['-0', t('-0', '#'), -0],
  ['leading zeros', t('007', '#'), 7],
  ['negative leading zeros', t('-007', '#'), -7],
  ['negative', t('-42', '#'), -42],
  ['negative large', t('-123456789012', '#'), -123456789012],
  ['max safe', t('9007199254740991', '#'), 9007199254740991],
  ['max safe + 1 is bigint', t('9007199254740992', '#'), 9007199254740992n],
  ['min safe', t('-9007199254740991', '#'), -9007199254740991],
  ['min safe - 1 is bigint', t('-9007199254740992', '#'), -9007199254740992n],
  ['max i64', t('9223372036854775807', '#'), 9223372036854775807n],
  ['long zero-padded safe int', t('0'.repeat(30) + '1', '#'), 1],
  ['huge int', t('9'.repeat(400), '#'), BigInt('9'.repeat(400))],
  ['nested lists', t(t(t(t('', ']'), ']'), ']') + t('1', '#'), ']'), [[[[]]], 1]],
  ['list of maps', t(t(t('id', ',') + t('a', ','), '}') + t('', '}'), ']'), [map([['id', b('a')]]), map([])]],
  ['map of lists', t(t('l', ',') + t(t('x', ',') + t('-1', '#'), ']') + t('e', ',') + t('', ']'), '}'), map([['l', [b('x'), -1]], ['e', []]])],
  ['empty map', t('', '}'), map([])],
  ['empty list', t('', ']'), []],
  ['empty bytes', t('', ','), b('')],
  ['null with payload', t('xyz', '~'), null],
  ['float', t('1.5e3', '^'), 1500],
];
for (const [name, input, value] of decodes) {
  test(`decode: ${name}`, () => {
    assert.deepEqual(decode(b(input)), value);
  });
}

test('decode: many distinct keys of one length all come back as themselves', () => {
  // More keys than the key cache has slots, so slots are shared and replaced.
  const keys = Array.from({ length: 2000 }, (_, i) => `k${String(i).padStart(4, '0')}`);
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < keys.length; i += 7) {
      const ks = keys.slice(i, i + 7);
      const m = decodeMap(b(t(ks.map((k, j) => t(k, ',') + t(String(j), '#')).join(''), '}')));
      assert.deepEqual(Object.keys(m), ks);
      ks.forEach((k, j) => assert.equal(m[k], j));
    }
  }
});

test('decode: byte strings are views into the input', () => {
  const input = b(t(t('body', ',') + t('hello', ',') + t('l', ',') + t(t('x', ','), ']'), '}'));
  const m = decodeMap(input);
  for (const v of [m['body'], (m['l'] as TnValue[])[0]]) {
    assert.ok(Buffer.isBuffer(v));
    assert.equal(v.buffer, input.buffer);
  }
  assert.equal((m['body'] as Buffer).byteOffset, input.byteOffset + input.indexOf('hello'));
});

test('decode: a plain Uint8Array input gives Buffer views too', () => {
  const input = Uint8Array.from(b('xx' + t(t('k', ',') + t('v', ','), ']'))).subarray(2);
  const l = decode(input) as TnValue[];
  assert.deepEqual(l, [b('k'), b('v')]);
  assert.equal((l[0] as Buffer).buffer, input.buffer);
});

const rejects: Array<[string, string, string, string]> = [
  ['empty int payload', t('', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer ""'],
  ["'-' alone", t('-', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "-"'],
  ["'+1'", t('+1', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "+1"'],
  ["'1a'", t('1a', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "1a"'],
  ["'--1'", t('--1', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "--1"'],
  ["'1-'", t('1-', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "1-"'],
  ['space in int', t(' 1', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer " 1"'],
  ['decimal point in int', t('1.0', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "1.0"'],
  ['exponent in int', t('1e3', '#'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "1e3"'],
  ['non-digit after many digits', t('9'.repeat(30) + 'x', '#'), 'PP_ERR_TNET_INVALID_DATA', `invalid integer "${'9'.repeat(30)}x"`],
  ['long bad int is cut at 40 chars', t('x'.repeat(50), '#'), 'PP_ERR_TNET_INVALID_DATA', `invalid integer "${'x'.repeat(40)}"`],
  ['truncated bool', t('tru', '!'), 'PP_ERR_TNET_INVALID_DATA', 'invalid boolean "tru"'],
  ['bool with trailing byte', t('truex', '!'), 'PP_ERR_TNET_INVALID_DATA', 'invalid boolean "truex"'],
  ['capitalised bool', t('False', '!'), 'PP_ERR_TNET_INVALID_DATA', 'invalid boolean "False"'],
  ['key: lone continuation byte', t(t('\x80', ',') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not valid UTF-8'],
  ['key: truncated 2-byte sequence', t(t('a\xc3', ',') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not valid UTF-8'],
  ['key: 0xff', t(t('\xff', ',') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not valid UTF-8'],
  ['key: overlong slash', t(t('\xc0\xaf', ',') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not valid UTF-8'],
  ['key: encoded surrogate', t(t('\xed\xa0\x80', ',') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not valid UTF-8'],
  ['second key invalid', t(t('a', ',') + t('', '~') + t('\xfe', ','), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 10 is not valid UTF-8'],
  ['key is an int', t(t('0', '#') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not a byte string'],
  ['key is a list', t(t('', ']') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_KEY', 'map key at offset 2 is not a byte string'],
  ['key is a bad int', t(t('x', '#') + t('', '~'), '}'), 'PP_ERR_TNET_INVALID_DATA', 'invalid integer "x"'],
  ['key with bad tag', t(t('k', '?') + t('', '~'), '}'), 'PP_ERR_TNET_UNKNOWN_TAG', 'unknown tag "?" at offset 5'],
  ['key without value', t(t('a', ',') + t('', '~') + t('c', ','), '}'), 'PP_ERR_TNET_UNEXPECTED_END', 'map key "c" has no value'],
  ['child runs past its list', '5:3:abc]', 'PP_ERR_TNET_UNEXPECTED_END', 'payload of 3 bytes at offset 4 runs past the end'],
  ['bad length inside map', '8:4:name,X}', 'PP_ERR_TNET_INVALID_LENGTH', 'non-digit in length prefix at offset 9'],
  ['missing colon', '12', 'PP_ERR_TNET_UNEXPECTED_END', "missing ':' after length at offset 0"],
  ['empty length', ':x,', 'PP_ERR_TNET_INVALID_LENGTH', 'empty length prefix at offset 0'],
  ['10-digit length is allowed', '0123456789:', 'PP_ERR_TNET_UNEXPECTED_END', 'payload of 123456789 bytes at offset 11 runs past the end'],
  ['11-digit length', '01234567890:', 'PP_ERR_TNET_INVALID_LENGTH', 'length prefix too long at offset 0'],
];
for (const [name, input, code, message] of rejects) {
  test(`decode rejects: ${name}`, () => {
    assert.throws(() => decode(b(input)), (e: Error & { code?: string }) => e.code === code && e.message === message);
  });
}

const encodes: Array<[string, TnValue, string]> = [
  ['short ascii string', 'from', '4:from,'],
  ['32-char ascii string', 'a'.repeat(32), `32:${'a'.repeat(32)},`],
  ['33-char ascii string', 'a'.repeat(33), `33:${'a'.repeat(33)},`],
  ['short non-ascii string', 'é', t(u8('é'), ',')],
  ['long non-ascii string', 'ü'.repeat(40), t(u8('ü'.repeat(40)), ',')],
  ['astral string', 'a😀b', t(u8('a😀b'), ',')],
  ['lone surrogate becomes U+FFFD', '\ud800', t(u8('\ufffd'), ',')],
  ['latin1-range string is UTF-8 encoded', '\xff', '2:\xc3\xbf,'],
  ['16 bytes', Buffer.alloc(16, 0x61), `16:${'a'.repeat(16)},`],
  ['17 bytes', Buffer.alloc(17, 0x61), `17:${'a'.repeat(17)},`],
  ['Uint8Array view', new Uint8Array([0x78, 0x79, 0x7a, 0x77]).subarray(1, 3), '2:yz,'],
  ['long Uint8Array view', new Uint8Array(40).fill(0x62).subarray(5), `35:${'b'.repeat(35)},`],
  ['-0', -0, '1:0#'],
  ['9', 9, '1:9#'],
  ['10', 10, '2:10#'],
  ['-9', -9, '2:-9#'],
  ['-10', -10, '3:-10#'],
  ['max safe', 9007199254740991, '16:9007199254740991#'],
  ['min safe', -9007199254740991, '17:-9007199254740991#'],
  ['2^53 as number', 9007199254740992, '16:9007199254740992#'],
  ['1e21 as number', 1e21, '5:1e+21#'],
  ['tiny float', 5e-324, '6:5e-324^'],
  ['0.1 + 0.2', 0.1 + 0.2, '19:0.30000000000000004^'],
  ['bigint', 12n, '2:12#'],
  ['negative bigint', -(2n ** 64n), '21:-18446744073709551616#'],
  ['TnFloat integral', new TnFloat(3), '1:3^'],
  ['TnFloat -0', new TnFloat(-0), '1:0^'],
  ['undefined', undefined, '0:~'],
  ['empty list', [], '0:]'],
  ['empty object', {}, '0:}'],
  ['empty Map', new Map(), '0:}'],
  ['list holes are null', [1, , 2], '11:1:1#0:~1:2#]'],
  ['Map input keeps insertion order', new Map<string, TnValue>([['z', 1], ['a', undefined], ['m', 'x']]), '16:1:z,1:1#1:m,1:x,}'],
  ['object skips undefined values', { a: undefined, b: null }, '7:1:b,0:~}'],
  ['null-prototype object', map([['b', 1], ['a', 2]]), '16:1:b,1:1#1:a,1:2#}'],
  ['nested containers', { l: [[], {}, [new Map([['k', [true]]])]] }, '36:1:l,28:0:]0:}18:14:1:k,7:4:true!]}]]}'],
  ['two-digit container length', [b('12345678')], '11:8:12345678,]'],
];
for (const [name, value, expected] of encodes) {
  test(`encode: ${name}`, () => {
    assert.deepEqual(encode(value), b(expected));
  });
}

test('encode: inherited and non-enumerable properties are not encoded', () => {
  const o = Object.create({ inherited: 1 }) as Record<string, TnValue>;
  Object.defineProperty(o, 'hidden', { value: 2, enumerable: false });
  o['own'] = 3;
  assert.deepEqual(encode(o), b(t(t('own', ',') + t('3', '#'), '}')));
});

test('encode: integer-like object keys come first, as Object.keys orders them', () => {
  assert.deepEqual(encode({ b: 1, 2: 2, a: 3, 1: 4 }), b(t(t('1', ',') + t('4', '#') + t('2', ',') + t('2', '#') + t('b', ',') + t('1', '#') + t('a', ',') + t('3', '#'), '}')));
});

for (const [name, value, message] of [
  ['NaN', NaN, 'cannot encode NaN'],
  ['Infinity in a list', [1, Infinity], 'cannot encode Infinity'],
  ['-Infinity in a map', { a: { b: -Infinity } }, 'cannot encode -Infinity'],
  ['TnFloat NaN in a Map', new Map([['f', new TnFloat(NaN)]]), 'cannot encode NaN'],
] as Array<[string, TnValue, string]>) {
  test(`encode rejects: ${name}`, () => {
    assert.throws(() => encode(value), (e: Error & { code?: string }) => e.code === 'PP_ERR_TNET_UNENCODABLE' && e.message === message);
    assert.throws(() => encodeWithPrefix(b('T'), value), (e: Error & { code?: string }) => e.code === 'PP_ERR_TNET_UNENCODABLE');
  });
}

test('encode: works again after a failed encode', () => {
  assert.throws(() => encode([{ a: 'x'.repeat(50) }, NaN]));
  assert.deepEqual(encode([{ a: 'y' }, 2.5]), b('17:8:1:a,1:y,}3:2.5^]'));
});

test('encode: a getter may call encode while an encode is running', () => {
  const o = { get inner(): TnValue { return encode({ x: 'y' }); }, after: 'z' };
  const innerBytes = t(t('x', ',') + t('y', ','), '}');
  assert.deepEqual(encode(o as TnValue), b(t(t('inner', ',') + t(innerBytes, ',') + t('after', ',') + t('z', ','), '}')));
});

const prefixed: Array<[string, Buffer, TnValue, string]> = [
  ['T + map', b('T'), { from: 'proxy', seq: 0 }, 'T25:4:from,5:proxy,3:seq,1:0#}'],
  ['empty prefix', b(''), 'x', '1:x,'],
  ['multi-byte prefix', b('dest '), [1], 'dest 4:1:1#]'],
  ['prefix that is a view', b('xxABCxx').subarray(2, 5), null, 'ABC0:~'],
];
for (const [name, prefix, value, expected] of prefixed) {
  test(`encodeWithPrefix: ${name}`, () => {
    const out = encodeWithPrefix(prefix, value);
    assert.deepEqual(out, b(expected));
    assert.deepEqual(out.subarray(prefix.length), encode(value));
  });
}

test('encodeWithPrefix: the result does not share memory with the prefix', () => {
  const prefix = b('T');
  const out = encodeWithPrefix(prefix, 'a');
  prefix[0] = 0x55;
  assert.equal(out.toString('latin1'), 'T1:a,');
});

// Randomised: a seeded generator, the simplest possible reference encoder, and a normaliser
// that says what decode(encode(v)) must give.

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let x = seed;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(0x7e75);
const rnd = (n: number) => Math.floor(rand() * n);
const pick = <T>(a: readonly T[]): T => a[rnd(a.length)]!;

const PIECES = ['a', 'Z', '0', ':', ',', '}', ']', '#', '~', ' ', '\x00', '\x7f', 'é', 'ÿ', '€', '中', '😀', '\ud800'];
function randomString(): string {
  switch (rnd(5)) {
    case 0: return pick(['from', 'id', 'seq', 'type', 'credits', 'body', '__proto__', '0', '17', '']);
    case 1: return 'k'.repeat(rnd(70));
    default: return Array.from({ length: rnd(12) }, () => pick(PIECES)).join('');
  }
}
function randomBytes(): Uint8Array {
  const n = pick([0, 1, 16, 17, 30, rnd(300)]);
  const bytes = Buffer.from(Array.from({ length: n }, () => (rnd(2) ? rnd(256) : pick([0x3a, 0x2c, 0x5d, 0x7d]))));
  if (rnd(4)) return bytes;
  const wider = new Uint8Array(n + 3); // a plain Uint8Array view that does not start at 0
  wider.set(bytes, 3);
  return wider.subarray(3);
}
function randomNumber(): number {
  switch (rnd(7)) {
    case 0: return rnd(10);
    case 1: return -rnd(100000);
    case 2: return pick([-0, 9007199254740991, -9007199254740991, 2 ** 53, -(2 ** 60), 123456789012345680000]);
    case 3: return rand() * 2000 - 1000;
    case 4: return pick([0.5, -2.25, 1e-7, 5e-324, 1.5e-300]);
    default: return rnd(2 ** 31);
  }
}
function randomValue(depth: number): TnValue {
  switch (rnd(depth > 4 ? 8 : 11)) {
    case 0: return randomString();
    case 1: return randomBytes();
    case 2: case 3: return randomNumber();
    case 4: return pick([0n, -1n, 2n ** 63n - 1n, -(2n ** 70n), 42n]);
    case 5: return new TnFloat(pick([0, -0, 1, -3, 0.125, 1e21]));
    case 6: return pick([true, false]);
    case 7: return pick([null, undefined]);
    case 8: return Array.from({ length: rnd(6) }, () => randomValue(depth + 1));
    case 9: {
      const o: Record<string, TnValue> = rnd(3) === 0 ? Object.create(null) as Record<string, TnValue> : {};
      for (let i = rnd(6); i > 0; i--) Object.defineProperty(o, randomString(), { value: rnd(5) ? randomValue(depth + 1) : undefined, enumerable: true, writable: true, configurable: true });
      return o;
    }
    default: return new Map(Array.from({ length: rnd(6) }, () => [randomString(), rnd(5) ? randomValue(depth + 1) : undefined]));
  }
}

function referenceEncode(v: TnValue): Buffer {
  const frame = (payload: Buffer, tag: string) => Buffer.concat([Buffer.from(`${payload.length}:`), payload, Buffer.from(tag)]);
  if (typeof v === 'string') return frame(Buffer.from(v, 'utf8'), ',');
  if (v instanceof Uint8Array) return frame(Buffer.from(v), ',');
  if (typeof v === 'number') return frame(Buffer.from(String(v)), Number.isInteger(v) ? '#' : '^');
  if (typeof v === 'bigint') return frame(Buffer.from(String(v)), '#');
  if (v instanceof TnFloat) return frame(Buffer.from(String(v.value)), '^');
  if (typeof v === 'boolean') return frame(Buffer.from(String(v)), '!');
  if (v === null || v === undefined) return frame(Buffer.alloc(0), '~');
  if (Array.isArray(v)) return frame(Buffer.concat(v.map(referenceEncode)), ']');
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return frame(Buffer.concat(entries.filter(([, x]) => x !== undefined).flatMap(([k, x]) => [referenceEncode(k), referenceEncode(x)])), '}');
}

/** What decode(encode(v)) gives for the values randomValue makes. */
function normalise(v: TnValue): TnValue {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'number') {
    if (Object.is(v, -0)) return 0;
    return Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(String(v)) : v;
  }
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  if (v instanceof TnFloat) return Object.is(v.value, -0) ? 0 : v.value;
  if (v === undefined) return null;
  if (Array.isArray(v)) return v.map(normalise);
  if (v === null || typeof v !== 'object') return v;
  const m = Object.create(null) as TnMap;
  // Keys are UTF-8 encoded, so a lone surrogate comes back as U+FFFD.
  for (const [k, x] of v instanceof Map ? v.entries() : Object.entries(v)) if (x !== undefined) m[Buffer.from(k, 'utf8').toString('utf8')] = normalise(x);
  return m;
}

test('property: 2000 random values match the reference encoder and round trip', () => {
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(0);
    const bytes = encode(v);
    assert.deepEqual(bytes, referenceEncode(v), `value #${i}`);
    assert.deepEqual(encodeWithPrefix(b('T'), v), Buffer.concat([b('T'), bytes]));
    assert.deepEqual(decode(bytes), normalise(v), `value #${i}`);
  }
});
