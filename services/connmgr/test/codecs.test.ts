import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Header } from '@pushpin-ts/zhttp';
import { checkFraming, formatAddress, headBytes, planResponse, rawLatin1, requestUri } from '../src/index.js';

const addrs: Array<[number[], string]> = [
  [[127, 0, 0, 1], '127.0.0.1'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3], '10.1.2.3'],
  [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '::1'],
  [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], '2001:db8::1:0:0:1'],
  [[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6], '2001:db8:1:2:3:4:5:6'],
  [[], ''],
];
for (const [bytes, text] of addrs) {
  test(`formatAddress ${text || '(empty)'}`, () => assert.equal(formatAddress(new Uint8Array(bytes)), text));
}

const framing: Array<[string, Header[], unknown]> = [
  ['no body', [['host', 'x']], { ok: true, hasBody: false }],
  ['zero length', [['content-length', '0']], { ok: true, hasBody: false }],
  ['length', [['content-length', '12']], { ok: true, hasBody: true }],
  ['same length twice', [['content-length', '3'], ['content-length', '3']], { ok: true, hasBody: true }],
  ['chunked', [['transfer-encoding', 'Chunked']], { ok: true, hasBody: true }],
  ['conflicting lengths', [['content-length', '3'], ['content-length', '4']], { ok: false, why: 'conflicting Content-Length headers' }],
  ['list of lengths', [['content-length', '3, 4']], { ok: false, why: 'conflicting Content-Length headers' }],
  ['bad length', [['content-length', '-1']], { ok: false, why: "invalid Content-Length '-1'" }],
  ['both', [['content-length', '3'], ['transfer-encoding', 'chunked']], { ok: false, why: 'both Content-Length and Transfer-Encoding' }],
  ['gzip', [['transfer-encoding', 'gzip, chunked']], { ok: false, why: "unsupported Transfer-Encoding 'gzip, chunked'" }],
];
for (const [name, headers, want] of framing) {
  test(`checkFraming: ${name}`, () => assert.deepEqual(checkFraming(headers), want));
}

test('headBytes approximates the request head size', () => {
  assert.equal(headBytes({ method: 'GET', path: '/', query: undefined, headers: [['host', 'x']], peerAddress: '' }), 'GET / HTTP/1.1\r\nhost: x\r\n\r\n'.length);
  assert.equal(headBytes({ method: 'GET', path: '/a', query: 'b', headers: [], peerAddress: '' }), 'GET /a?b HTTP/1.1\r\n\r\n'.length);
});

test('requestUri and rawLatin1', () => {
  assert.equal(requestUri('https', 'h:1', '/p', ''), 'https://h:1/p?');
  assert.equal(requestUri('ws', 'h', '/p', undefined), 'ws://h/p');
  assert.equal(rawLatin1('/caf\u00e9'), '/caf\xc3\xa9');
  assert.equal(rawLatin1('plain'), 'plain');
});

const plans: Array<[string, Parameters<typeof planResponse>, Partial<ReturnType<typeof planResponse>>]> = [
  ['reason kept', [404, 'Nope', [], false], { status: '404 Nope', noBody: false, close: false }],
  ['empty reason gets the standard one', [200, '', [], false], { status: '200 OK' }],
  ['hop-by-hop dropped', [200, 'OK', [['Connection', 'close, X-Priv'], ['X-Priv', '1'], ['Keep-Alive', 'x'], ['Transfer-Encoding', 'chunked'], ['Date', 'd'], ['X-Ok', '2']], false],
    { headers: [['X-Ok', '2']], close: true }],
  ['content-length recorded, not passed', [200, 'OK', [['Content-Length', '42']], false], { headers: [], contentLength: 42 }],
  ['HEAD has no body', [200, 'OK', [], true], { noBody: true }],
  ['204/304/1xx have no body', [304, 'Not Modified', [], false], { noBody: true }],
  ['header injection rejected', [200, 'OK', [['X-Bad', 'a\r\nX-Evil: 1'], ['Bad Name', 'v']], false], { headers: [], rejected: 2 }],
  ['repeated headers kept in order', [200, 'OK', [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']], false], { headers: [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']] }],
];
for (const [name, args, want] of plans) {
  test(`planResponse: ${name}`, () => {
    const got = planResponse(...args);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k as keyof typeof got], v, k);
  });
}
