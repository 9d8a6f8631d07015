// Pure parts of WebSocket-over-HTTP: request headers, response reading, 101 headers, the grip
// extension, backend message classification and the batching queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Header } from '@pushpin-ts/zhttp';
import {
  applySetMeta, classifyBackendMessage, gripExtension, handshakeHeaders, isWsEventsRequest, readWohResponse, wohRequestHeaders,
} from '../src/wsoh/woh-http.js';
import { EventQueue } from '../src/wsoh/event-queue.js';

const names = (hs: Header[]) => hs.map(([k]) => k.toLowerCase());

test('request headers: client handshake cleaned, WOH headers added, fresh Grip-Sig replaces the old', () => {
  const base: Header[] = [
    ['Host', 'example'], ['Upgrade', 'websocket'], ['Sec-WebSocket-Key', 'k=='], ['Sec-WebSocket-Version', '13'],
    ['Sec-WebSocket-Extensions', 'permessage-deflate'], ['Sec-WebSocket-Protocol', 'chat'], ['Accept', '*/*'],
    ['Connection-Id', 'spoof'], ['Meta-User', 'mallory'], ['Content-Length', '5'], ['Cookie', 'a=b'], ['Grip-Sig', 'old'],
  ];
  const hs = wohRequestHeaders(base, { grip: true, gripSig: 'new', cid: 'cid-1', meta: new Map([['User', 'alice']]) });
  const get = (n: string) => hs.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  assert.deepEqual(get('grip-sig'), ['new']);
  assert.deepEqual(get('sec-websocket-extensions'), ['grip']);
  assert.deepEqual(get('accept'), ['application/websocket-events']);
  assert.deepEqual(get('content-type'), ['application/websocket-events']);
  assert.deepEqual(get('connection-id'), ['cid-1']);
  assert.deepEqual(get('meta-user'), ['alice']);
  for (const gone of ['upgrade', 'content-length']) assert.ok(!names(hs).includes(gone), gone);
  for (const kept of ['host', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'cookie']) assert.ok(names(hs).includes(kept), kept);
  // no_grip: no extension offered, no signature
  const plain = wohRequestHeaders([['Host', 'x']], { grip: false, cid: 'c', meta: new Map() });
  assert.ok(!names(plain).includes('sec-websocket-extensions'));
  assert.ok(!names(plain).includes('grip-sig'));
});

const ext: Array<[string[], { prefix: string } | undefined]> = [
  [['grip'], { prefix: 'm:' }],
  [['grip; message-prefix=""'], { prefix: '' }],
  [['foo, grip; message-prefix="x-"'], { prefix: 'x-' }],
  [['Grip'], { prefix: 'm:' }],
  [['gripx'], undefined],
  [[], undefined],
];
for (const [values, want] of ext) {
  test(`grip extension ${JSON.stringify(values)}`, () => assert.deepEqual(gripExtension(values), want));
}

test('response: exact content type, Set-Meta-*, Keep-Alive-Interval floor and disable', () => {
  const ok = readWohResponse(200, [['Content-Type', 'application/websocket-events'], ['Set-Meta-User', 'alice'], ['Set-Meta-', 'x'], ['Keep-Alive-Interval', '5']]);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.setMeta, [['User', 'alice']]);
  assert.equal(ok.keepAliveInterval, 20);
  assert.equal(readWohResponse(200, [['Content-Type', 'application/websocket-events; charset=utf-8']]).ok, false);
  assert.equal(readWohResponse(201, [['Content-Type', 'application/websocket-events']]).ok, false);
  assert.equal(readWohResponse(200, []).ok, false);
  assert.equal(readWohResponse(200, [['Keep-Alive-Interval', '45']]).keepAliveInterval, 45);
  assert.equal(readWohResponse(200, [['Keep-Alive-Interval', '0']]).keepAliveInterval, 0);
  assert.equal(readWohResponse(200, [['Keep-Alive-Interval', '-3']]).keepAliveInterval, 0);
  assert.equal(readWohResponse(200, [['Keep-Alive-Interval', 'soon']]).keepAliveInterval, 0);
  assert.equal(readWohResponse(200, []).keepAliveInterval, undefined);
});

test('meta: set, replace case-insensitively, delete with an empty value', () => {
  const m = new Map<string, string>();
  applySetMeta(m, [['User', 'alice'], ['Room', 'r1']]);
  applySetMeta(m, [['user', 'bob'], ['Room', '']]);
  assert.deepEqual([...m], [['user', 'bob']]);
});

test('101 headers: framing, WOH and Set-Meta headers removed', () => {
  const hs = handshakeHeaders([
    ['Content-Type', 'application/websocket-events'], ['Content-Length', '6'], ['Keep-Alive-Interval', '30'],
    ['Set-Meta-User', 'a'], ['Sec-WebSocket-Extensions', 'grip'], ['Sec-WebSocket-Protocol', 'chat'], ['X-Custom', '1'],
  ]);
  assert.deepEqual(hs, [['Sec-WebSocket-Protocol', 'chat'], ['X-Custom', '1']]);
});

test('backend messages in GRIP mode: c: control, prefix stripped, unprefixed dropped', () => {
  const b = (s: string) => Buffer.from(s);
  assert.deepEqual(classifyBackendMessage('text', b('c:{"type":"detach"}'), 'm:'), { kind: 'control', json: b('{"type":"detach"}') });
  assert.deepEqual(classifyBackendMessage('text', b('m:hello'), 'm:'), { kind: 'relay', content: b('hello') });
  assert.deepEqual(classifyBackendMessage('binary', b('m:\x00'), 'm:'), { kind: 'relay', content: b('\x00') });
  assert.deepEqual(classifyBackendMessage('binary', b('c:{}'), 'm:'), { kind: 'drop' });
  assert.deepEqual(classifyBackendMessage('text', b('hello'), 'm:'), { kind: 'drop' });
  assert.deepEqual(classifyBackendMessage('text', b('hello'), ''), { kind: 'relay', content: b('hello') });
});

test('a plain request with the events content type is recognised', () => {
  assert.equal(isWsEventsRequest([['content-type', 'Application/WebSocket-Events ']]), true);
  assert.equal(isWsEventsRequest([['content-type', 'text/plain']]), false);
  assert.equal(isWsEventsRequest([]), false);
});

test('event queue: batches up to the content limit, at least one event, one_event', () => {
  const q = new EventQueue(10);
  const ev = (n: number) => ({ type: 'TEXT' as const, content: Buffer.alloc(n) });
  q.push(ev(4)); q.push(ev(4)); q.push(ev(4)); q.push({ type: 'PING' }); q.push(ev(20));
  assert.equal(q.contentBytes, 32);
  assert.deepEqual(q.take(false).map((e) => e.content?.length), [4, 4]);
  assert.deepEqual(q.take(false).map((e) => e.content?.length), [4, undefined]);
  assert.deepEqual(q.take(false).map((e) => e.content?.length), [20]);
  assert.equal(q.length, 0);
  assert.deepEqual(q.take(false), []);
  q.push(ev(1)); q.push(ev(1));
  assert.equal(q.take(true).length, 1);
  assert.equal(q.take(true).length, 1);
  assert.equal(q.contentBytes, 0);
});
