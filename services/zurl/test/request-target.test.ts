import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '@pushpin-ts/zhttp';
import { filterHeaders, forwardedExtensions, kindOfUri, relayedUpgradeHeaders, splitExtensions, toRequestTarget, ZurlBadRequestError } from '../src/index.js';

const first = (o: Partial<Packet>): Packet => ({ id: '1', method: 'GET', uri: 'http://example.com/a?b=1', headers: [], ...o });

const KINDS: Array<[string, string | undefined]> = [
  ['http://a/', 'http'], ['HTTPS://a/', 'http'], ['ws://a/', 'ws'], ['wss://a/', 'ws'], ['ftp://a/', undefined], ['nonsense', undefined],
];
for (const [uri, want] of KINDS) test(`kindOfUri(${uri})`, () => assert.equal(kindOfUri(uri), want));

test('toRequestTarget: connect-host/port override, origin, path', () => {
  const t = toRequestTarget(first({ uri: 'https://api.example.com/x/y?z=1', connectHost: '127.0.0.1', connectPort: 8443, trustConnectHost: true }));
  assert.equal(t.kind, 'http');
  assert.equal(t.origin, 'https://api.example.com');
  assert.equal(t.path, '/x/y?z=1');
  assert.equal(t.connectHost, '127.0.0.1');
  assert.equal(t.connectPort, 8443);
  assert.equal(t.tls, true);
  assert.equal(t.trustConnectHost, true);
});

test('toRequestTarget: default ports and ws origin', () => {
  assert.equal(toRequestTarget(first({ uri: 'http://h/' })).connectPort, 80);
  assert.equal(toRequestTarget(first({ uri: 'https://h/' })).connectPort, 443);
  const w = toRequestTarget(first({ uri: 'wss://h:9/s' }));
  assert.deepEqual([w.kind, w.origin, w.connectPort, w.tls], ['ws', 'https://h:9', 9, true]);
});

test('toRequestTarget: a WebSocket request without a method is a GET (Pushpin\'s proxy sends none)', () => {
  assert.equal(toRequestTarget(first({ method: undefined, uri: 'ws://h/s' })).method, 'GET');
});

const INVALID: Array<[string, Partial<Packet>]> = [
  ['empty method', { method: '' }],
  ['HTTP request without a method', { method: undefined }],
  ['method with space', { method: 'GE T' }],
  ['bad scheme', { uri: 'gopher://x/' }],
  ['unparsable uri', { uri: 'http://' }],
  ['connect-port out of range', { connectPort: 70000 }],
  ['header name with colon', { headers: [['Bad:Name', 'x']] }],
  ['header value with CRLF', { headers: [['X', 'a\r\nInjected: 1']] }],
];
for (const [name, o] of INVALID) {
  test(`toRequestTarget rejects ${name}`, () => {
    assert.throws(() => toRequestTarget(first(o)), (e: unknown) => e instanceof ZurlBadRequestError && e.code === 'PP_ERR_ZURL_BAD_REQUEST');
  });
}

test('filterHeaders drops hop-by-hop and Connection-named headers, keeps case, order and duplicates', () => {
  const out = filterHeaders([
    ['Host', 'a'], ['Connection', 'keep-alive, X-Hop'], ['Keep-Alive', '5'], ['X-Hop', '1'], ['Transfer-Encoding', 'chunked'],
    ['Upgrade', 'h2c'], ['Cookie', 'a=1'], ['cookie', 'b=2'], ['host', 'dup'], ['Content-Length', '3'], ['X-Case', 'v'],
  ], 'http');
  assert.deepEqual(out, [['Host', 'a'], ['Cookie', 'a=1'], ['cookie', 'b=2'], ['Content-Length', '3'], ['X-Case', 'v']]);
});

test('filterHeaders for WebSocket drops handshake headers the client computes', () => {
  const out = filterHeaders([['Host', 'h'], ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'k'], ['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Protocol', 'p'], ['Sec-WebSocket-Extensions', 'grip'], ['Origin', 'o']], 'ws');
  assert.deepEqual(out, [['Host', 'h'], ['Origin', 'o']]);
});

test('extension helpers', () => {
  assert.deepEqual(splitExtensions('grip; message-prefix="a,b", permessage-deflate'), ['grip; message-prefix="a,b"', 'permessage-deflate']);
  assert.equal(forwardedExtensions('permessage-deflate; client_max_window_bits, grip'), 'grip');
  assert.equal(forwardedExtensions('permessage-deflate'), undefined);
  assert.equal(forwardedExtensions(undefined), undefined);
  assert.deepEqual(relayedUpgradeHeaders([
    ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Accept', 'x'], ['Sec-WebSocket-Protocol', 'chat'],
    ['Sec-WebSocket-Extensions', 'grip; message-prefix="", permessage-deflate'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'],
  ]), [['Sec-WebSocket-Protocol', 'chat'], ['Sec-WebSocket-Extensions', 'grip; message-prefix=""'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
});
