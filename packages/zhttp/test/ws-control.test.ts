// WS-control packets between proxy and handler: round trips, tolerated input, rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encode } from '@pushpin-ts/tnetstring';
import { decodeWsControlPacket, encodeWsControlPacket, ZrpcFormatError, type WsControlItem } from '../src/index.js';

const cases: Array<[string, WsControlItem]> = [
  ['here', { cid: 'c1', type: 'here', uri: 'ws://a/b', route: 'r1', channelPrefix: 'p-', ttl: 60, debug: true, trusted: true, logLevel: 3 }],
  ['keep-alive', { cid: 'c1', type: 'keep-alive', ttl: 60 }],
  ['gone', { cid: 'c1', type: 'gone' }],
  ['grip', { cid: 'c1', type: 'grip', message: Buffer.from('{"type":"subscribe","channel":"x"}') }],
  ['subscribe', { cid: 'c1', type: 'subscribe', channel: 'näws' }],
  ['send binary', { cid: 'c1', type: 'send', contentType: 'binary', message: Buffer.from([0, 255, 10]), queue: true }],
  ['close', { cid: 'c1', type: 'close', code: 4001, reason: 'bye ✓' }],
  ['keep-alive-setup', { cid: 'c1', type: 'keep-alive-setup', contentType: 'text', message: Buffer.from('KA'), timeout: 2, keepAliveMode: 'interval' }],
  ['detach', { cid: 'c1', type: 'detach' }],
  ['cancel', { cid: 'c1', type: 'cancel' }],
  ['refresh', { cid: 'c1', type: 'refresh' }],
];

for (const [name, item] of cases) {
  test(`round trip: ${name}`, () => {
    const frame = encodeWsControlPacket({ from: 'pushpin-proxy_1', items: [item] });
    assert.ok(/^\d/.test(frame.toString('latin1')), 'raw tnetstring, no T prefix');
    assert.deepEqual(decodeWsControlPacket(frame), { from: 'pushpin-proxy_1', items: [item] });
  });
}

test('false booleans and absent fields are not written', () => {
  const frame = encodeWsControlPacket({ from: 'h', items: [{ cid: 'x', type: 'send', queue: false, message: Buffer.from('m') }] });
  assert.equal(frame.toString('latin1'), '65:4:from,1:h,5:items,42:38:3:cid,1:x,4:type,4:send,7:message,1:m,}]}');
});

test('a T prefix is tolerated, unknown item types are skipped, digit strings read as ints', () => {
  const raw = encode({ from: 'p', items: [{ cid: 'a', type: 'future-thing' }, { cid: 'b', type: 'close', code: '1011' }] });
  const p = decodeWsControlPacket(Buffer.concat([Buffer.from('T'), raw]));
  assert.deepEqual(p.items, [{ cid: 'b', type: 'close', code: 1011 }]);
});

const rejects: Array<[string, Buffer]> = [
  ['not a tnetstring', Buffer.from('garbage')],
  ['not a map', encode([1, 2])],
  ['no items', encode({ from: 'p' })],
  ['item not a map', encode({ from: 'p', items: ['x'] })],
  ['item without cid', encode({ from: 'p', items: [{ type: 'gone' }] })],
  ['item without type', encode({ from: 'p', items: [{ cid: 'a' }] })],
  ['bad code type', encode({ from: 'p', items: [{ cid: 'a', type: 'close', code: 'abc' }] })],
  ['bad message type', encode({ from: 'p', items: [{ cid: 'a', type: 'send', message: [1] }] })],
];
for (const [name, frame] of rejects) {
  test(`rejects: ${name}`, () => {
    assert.throws(() => decodeWsControlPacket(frame), (e: unknown) => e instanceof ZrpcFormatError && e.code === 'PP_ERR_ZRPC_FORMAT');
  });
}
