import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { parseInstruct, type PublishItem } from '@pushpin-ts/grip';
import { StreamHold } from '../src/stream-hold.js';
import { TurnQueue } from '../src/turn-queue.js';
import { FakeSession, testCtx } from './helpers/fakes.js';

function httpStream(channel: string, content: string, action: 'send' | 'close' = 'send'): PublishItem {
  return { channel, meta: {}, noSeq: false, formats: { httpStream: { action, content: Buffer.from(content) } } };
}

function hold(ctx: ReturnType<typeof testCtx>, s: FakeSession, cid = 'condure:a') {
  const ins = parseInstruct({ code: 200, reason: 'OK', headers: [['Grip-Hold', 'stream'], ['Grip-Channel', 'c']], body: Buffer.from('[open]\n') });
  const h = new StreamHold(ctx, s, cid, ins, [{ channel: 'c', filters: [] }]);
  h.start(ins.response.body);
  return h;
}

test('coalescing: items queued without credits leave in one packet, in order, when credits arrive', () => {
  const ctx = testCtx({ fast: true });
  const s = new FakeSession(7); // exactly the initial body
  hold(ctx, s);
  ctx.hub.publish([httpStream('c', 'one\n'), httpStream('c', 'two\n'), httpStream('c', 'three\n')]);
  assert.equal(ctx.raw.length, 0, 'nothing without credits');
  s.grant(100);
  assert.equal(ctx.raw.length, 1, 'one packet for the three items');
  assert.equal(ctx.raw[0]!.packet.body?.toString(), 'one\ntwo\nthree\n');
  assert.equal(s.credits, 100 - 14);
});

test('coalescing: only what fits the credits goes; the rest follows the next grant', () => {
  const ctx = testCtx({ fast: true });
  const s = new FakeSession(7);
  hold(ctx, s);
  ctx.hub.publish([httpStream('c', 'aaaa'), httpStream('c', 'bbbb'), httpStream('c', 'cccc'), httpStream('c', '', 'close')]);
  s.grant(9);
  assert.deepEqual(ctx.raw.map((r) => r.packet.body?.toString()), ['aaaabbbb']);
  assert.equal(ctx.hub.subscriberCount('c'), 1, 'close waits behind the queued item');
  s.grant(4);
  assert.deepEqual(ctx.raw.map((r) => r.packet.body?.toString()), ['aaaabbbb', 'cccc']);
  assert.deepEqual(s.sent.filter((x) => x.kind === 'data').at(-1), { kind: 'data', body: '', more: false });
  assert.equal(ctx.hub.subscriberCount('c'), 0);
});

test('coalescing: one turn of items per session, shared by sessions with the same items (multi-id)', async () => {
  const ctx = testCtx({ fast: true });
  ctx.turn = new TurnQueue((e) => { throw e; });
  const shared: Array<{ peer: string; seg: Buffer; id: string; seq: number }> = [];
  ctx.sendShared = (peer, seg, id, seq) => { shared.push({ peer, seg, id, seq }); };
  const a = new FakeSession(100, 'a');
  const b = new FakeSession(100, 'b');
  Object.assign(a, { peerMulti: true });
  Object.assign(b, { peerMulti: true });
  hold(ctx, a, 'condure:a');
  hold(ctx, b, 'condure:b');
  ctx.hub.publish([httpStream('c', 'x1\n')]);
  ctx.hub.publish([httpStream('c', 'x2\n')]);
  assert.equal(shared.length, 0, 'waits for the end of the turn');
  await tick();
  assert.equal(shared.length, 2);
  assert.equal(shared[0]!.seg, shared[1]!.seg, 'one segment for both sessions');
  assert.equal(shared[0]!.seg.toString(), '4:body,6:x1\nx2\n,');
  assert.deepEqual(shared.map((x) => [x.id, x.seq]), [['a', a.outSeq - 1], ['b', b.outSeq - 1]]);
  assert.equal(ctx.raw.length, 0);
});

test('queue bound: 100 items for a client that got no credits lately; more (up to the reading bound) for one that is reading', async () => {
  const { queueHasRoom, STREAM_QUEUE_MAX_ITEMS, STREAM_QUEUE_READING_MS, STREAM_QUEUE_READING_MAX_ITEMS, STREAM_QUEUE_MAX_BYTES } = await import('../src/stream-hold.js');
  assert.equal(queueHasRoom(STREAM_QUEUE_MAX_ITEMS - 1, 10, 10, Infinity), true);
  assert.equal(queueHasRoom(STREAM_QUEUE_MAX_ITEMS, 10, 10, Infinity), false, 'never credited: Pushpin\'s bound');
  assert.equal(queueHasRoom(STREAM_QUEUE_MAX_ITEMS, 10, 10, STREAM_QUEUE_READING_MS + 1), false, 'stuck: Pushpin\'s bound');
  assert.equal(queueHasRoom(STREAM_QUEUE_MAX_ITEMS, 10, 10, 5), true, 'reading: may queue more');
  assert.equal(queueHasRoom(STREAM_QUEUE_READING_MAX_ITEMS, 10, 10, 5), false, 'reading has a bound too');
  assert.equal(queueHasRoom(3, STREAM_QUEUE_MAX_BYTES, 1, 5), false, 'the byte bound always applies');
  assert.equal(queueHasRoom(0, 0, STREAM_QUEUE_MAX_BYTES * 2, Infinity), true, 'one big item alone is taken');
});

test('queue bound: a session that got credits keeps items past 100 while its connection manager lags', () => {
  const ctx = testCtx({ fast: true });
  const s = new FakeSession(7); // exactly the initial body
  hold(ctx, s);
  s.grant(5); // credits arrived: the client is reading (5 bytes fit no item below)
  const items = Array.from({ length: 150 }, (_, i) => httpStream('c', `<${String(i).padStart(3, '0')}>`));
  ctx.hub.publish(items);
  s.grant(100_000);
  const text = ctx.raw.map((r) => r.packet.body?.toString() ?? '').join('') + s.text();
  assert.ok(text.includes('<000>') && text.includes('<149>'), 'nothing dropped');
});
