import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeMap, encode, TnFloat, toPlain, type TnValue } from '../src/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');

const roundTrip: Array<[string, TnValue, string]> = [
  ['empty bytes', b(''), '0:,'],
  ['hello', b('hello'), '5:hello,'],
  ['separators', b('a:b,c'), '5:a:b,c,'],
  ['binary', Buffer.from([0, 1]), '2:\x00\x01,'],
  ['utf8', Buffer.from('é', 'utf8'), '2:\xc3\xa9,'],
  ['zero', 0, '1:0#'],
  ['42', 42, '2:42#'],
  ['-42', -42, '3:-42#'],
  ['8192', 8192, '4:8192#'],
  ['max safe', 9007199254740991, '16:9007199254740991#'],
  ['min i64', -9223372036854775808n, '20:-9223372036854775808#'],
  ['-0.5', -0.5, '4:-0.5^'],
  ['true', true, '4:true!'],
  ['false', false, '5:false!'],
  ['null', null, '0:~'],
  ['empty list', [], '0:]'],
  ['list', [b('foo'), b('bar')], '12:3:foo,3:bar,]'],
  ['nested list', [[]], '3:0:]]'],
  ['headers', [[b('Content-Type'), b('text/plain')]], '34:30:12:Content-Type,10:text/plain,]]'],
];

for (const [name, value, enc] of roundTrip) {
  test(`round trip: ${name}`, () => {
    assert.deepEqual(encode(value), b(enc));
    const d = decode(b(enc));
    assert.deepEqual(d, value);
  });
}

const maps: Array<[string, Record<string, TnValue>, string]> = [
  ['empty map', {}, '0:}'],
  ['foo', { foo: b('bar') }, '12:3:foo,3:bar,}'],
  ['name', { name: b('alice') }, '15:4:name,5:alice,}'],
  ['mixed list', { a: [1, true, null] }, '22:1:a,14:1:1#4:true!0:~]}'],
  ['ext', { ext: { multi: true } }, '25:3:ext,15:5:multi,4:true!}}'],
];
for (const [name, value, enc] of maps) {
  test(`map: ${name}`, () => {
    assert.deepEqual(encode(value), b(enc));
    assert.deepEqual(toPlain(decode(b(enc))), toPlain(value));
  });
}

test('float zero decodes and TnFloat encodes with ^', () => {
  assert.equal(decode(b('1:0^')), 0);
  assert.deepEqual(encode(new TnFloat(0)), b('1:0^'));
});

test('strings encode as UTF-8 byte strings', () => {
  assert.deepEqual(encode('é'), b('2:\xc3\xa9,'));
});

test('decoded maps have no prototype', () => {
  const m = decodeMap(b('16:9:__proto__,1:x,}'));
  assert.equal(Object.getPrototypeOf(m), null);
  assert.deepEqual(m['__proto__'], b('x'));
});

test('real ZHTTP packets decode', () => {
  const p = decodeMap(b('161:4:from,6:client,2:id,1:1,3:seq,1:0#6:method,4:POST,3:uri,23:http://example.com/path,7:headers,34:30:12:Content-Type,10:text/plain,]]4:body,5:hello,4:more,4:true!}'));
  assert.deepEqual(toPlain(p), { from: 'client', id: '1', seq: 0, method: 'POST', uri: 'http://example.com/path', headers: [['Content-Type', 'text/plain']], body: 'hello', more: true });
  assert.deepEqual(encode(p), b('161:4:from,6:client,2:id,1:1,3:seq,1:0#6:method,4:POST,3:uri,23:http://example.com/path,7:headers,34:30:12:Content-Type,10:text/plain,]]4:body,5:hello,4:more,4:true!}'));
  const q = decodeMap(b('208:4:more,4:true!7:headers,34:30:12:Content-Type,10:text/plain,]]12:content-type,6:binary,4:from,6:server,2:id,1:1,6:reason,2:OK,7:credits,3:100#9:user-data,12:3:foo,3:bar,}3:seq,1:0#4:code,3:200#4:body,5:hello,}'));
  assert.equal(q['credits'], 100);
  assert.deepEqual(toPlain(q['user-data']!), { foo: 'bar' });
  const multi = decodeMap(b('139:4:from,19:pushpin-proxy_11446,2:id,54:23:2:id,5:0-0-2,3:seq,1:7#}23:2:id,5:1-0-5,3:seq,1:3#}]4:type,10:keep-alive,3:ext,15:5:multi,4:true!}}'));
  assert.deepEqual(toPlain(multi['id']!), [{ id: '0-0-2', seq: 7 }, { id: '1-0-5', seq: 3 }]);
});

test('trailing bytes after the top-level value are ignored', () => {
  assert.deepEqual(decode(b('1:a,garbage')), b('a'));
});

const rejects: Array<[string, string, string]> = [
  ['empty', '', 'PP_ERR_TNET_UNEXPECTED_END'],
  ['no length', 'bogus', 'PP_ERR_TNET_INVALID_LENGTH'],
  ['missing tag', '5:hello', 'PP_ERR_TNET_UNEXPECTED_END'],
  ['short payload', '5:hel,', 'PP_ERR_TNET_UNEXPECTED_END'],
  ['unknown tag', '3:abc?', 'PP_ERR_TNET_UNKNOWN_TAG'],
  ['negative length', '-1:x,', 'PP_ERR_TNET_INVALID_LENGTH'],
  ['alpha length', 'a:x,', 'PP_ERR_TNET_INVALID_LENGTH'],
  ['bad bool', '5:bogus!', 'PP_ERR_TNET_INVALID_DATA'],
  ['bad int', '5:bogus#', 'PP_ERR_TNET_INVALID_DATA'],
  ['bad float', '5:bogus^', 'PP_ERR_TNET_INVALID_DATA'],
  ['empty int', '0:#', 'PP_ERR_TNET_INVALID_DATA'],
  ['map child invalid', '5:inner}', 'PP_ERR_TNET_INVALID_LENGTH'],
  ['map key not bytes', '4:1:0#}', 'PP_ERR_TNET_INVALID_KEY'],
  ['map key not utf8', '4:1:\x80,}', 'PP_ERR_TNET_INVALID_KEY'],
  ['key without value', '7:4:name,}', 'PP_ERR_TNET_UNEXPECTED_END'],
  ['bad value in map', '8:4:name,X}', 'PP_ERR_TNET_INVALID_LENGTH'],
  ['huge length', '99999999999:x,', 'PP_ERR_TNET_INVALID_LENGTH'],
];
for (const [name, input, code] of rejects) {
  test(`rejects: ${name}`, () => {
    assert.throws(() => decode(b(input)), (e: { code?: string }) => e.code === code);
  });
}

test('decodeMap rejects a non-map top level', () => {
  assert.throws(() => decodeMap(b('5:hello,')), (e: { code?: string }) => e.code === 'PP_ERR_TNET_WRONG_TYPE');
});

test('encode rejects NaN', () => {
  assert.throws(() => encode(NaN), (e: { code?: string }) => e.code === 'PP_ERR_TNET_UNENCODABLE');
});

// Property test: random nested values round trip, and every truncated prefix fails.
function rnd(n: number) { return Math.floor(Math.random() * n); }
function randomValue(depth: number): TnValue {
  const k = rnd(depth > 5 ? 5 : 8);
  switch (k) {
    case 0: return Buffer.from(Array.from({ length: rnd(12) }, () => [0x3a, 0x2c, 0x5d, 0x7d, 0, rnd(256)][rnd(6)]!));
    case 1: return rnd(2) ? rnd(1e9) : -rnd(1e6);
    case 2: return rnd(2) === 1;
    case 3: return null;
    case 4: return rnd(1000) / 8 + 0.5;
    case 5: case 6: return Array.from({ length: rnd(4) }, () => randomValue(depth + 1));
    default: {
      const m: Record<string, TnValue> = {};
      for (let i = 0; i < rnd(4); i++) m[`k${i}:,}`] = randomValue(depth + 1);
      return m;
    }
  }
}
test('property: random values round trip and truncations fail', () => {
  for (let i = 0; i < 300; i++) {
    const v = randomValue(0);
    const e = encode(v);
    assert.deepEqual(toPlain(decode(e)), toPlain(v));
    assert.deepEqual(encode(decode(e)), e);
    for (let cut = 0; cut < e.length; cut += Math.max(1, Math.floor(e.length / 7))) {
      assert.throws(() => decode(e.subarray(0, cut)));
    }
  }
});
