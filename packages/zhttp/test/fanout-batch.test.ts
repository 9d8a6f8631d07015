import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodeBodySegment, encodeDataPacket, encodeMultiDataPacket, FanoutBatcher } from '../src/index.js';

test('multi-id data packet decodes to every id with its seq, the body, more and ext.multi', () => {
  const p = decodePacket(encodeMultiDataPacket('h_1', [{ id: '0-0-1', seq: 3 }, { id: '1-0-2', seq: 12 }], encodeBodySegment(Buffer.from('hi\n')), true));
  assert.deepEqual(p.id, [{ id: '0-0-1', seq: 3 }, { id: '1-0-2', seq: 12 }]);
  assert.equal(p.from, 'h_1');
  assert.equal(p.body?.toString(), 'hi\n');
  assert.equal(p.more, true);
  assert.equal(p.multi, true);
  const one = decodePacket(encodeDataPacket('h_1', 'x', 0, encodeBodySegment(Buffer.alloc(0)), false));
  assert.deepEqual([one.id, one.seq, one.body?.length, one.more], ['x', 0, 0, undefined]);
});

test('fan-out batcher: one packet per peer and body, several bodies open at once; sent on flush() and after the microtask', async () => {
  const out: Array<{ dest: string; ids: unknown; body: string }> = [];
  const b = new FanoutBatcher('h', (dest, payload) => { const p = decodePacket(payload); out.push({ dest, ids: p.id, body: p.body!.toString() }); });
  const s1 = encodeBodySegment(Buffer.from('one'));
  const s2 = encodeBodySegment(Buffer.from('two'));
  b.add('c1', s1, 'a', 1);
  b.add('c2', s1, 'b', 5);
  b.add('c1', s2, 'd', 7);
  b.add('c1', s1, 'c', 2);
  b.add('c1', s2, 'a', 2);
  assert.equal(out.length, 0);
  await Promise.resolve();
  assert.deepEqual(out, [
    { dest: 'c1', ids: [{ id: 'a', seq: 1 }, { id: 'c', seq: 2 }], body: 'one' },
    { dest: 'c2', ids: 'b', body: 'one' },
    { dest: 'c1', ids: [{ id: 'd', seq: 7 }, { id: 'a', seq: 2 }], body: 'two' },
  ]);
  assert.equal(b.pending, false);
  b.add('c1', s1, 'x', 0);
  b.flush();
  assert.deepEqual(out.at(-1), { dest: 'c1', ids: 'x', body: 'one' });
});

test('fan-out batcher: a session never goes back to an earlier group, so its packets keep seq order', () => {
  const out: Array<{ ids: unknown; body: string }> = [];
  const b = new FanoutBatcher('h', (_dest, payload) => { const p = decodePacket(payload); out.push({ ids: p.id, body: p.body!.toString() }); });
  const s1 = encodeBodySegment(Buffer.from('one'));
  const s2 = encodeBodySegment(Buffer.from('two'));
  b.add('c', s1, 'a', 1);
  b.add('c', s2, 'a', 2);
  b.add('c', s1, 'a', 3); // must not join the first group (it would overtake seq 2)
  b.add('c', s1, 'b', 9); // joins the newest `one` group
  b.add('c', s1, 'e', 4, false); // another `more` flag: its own group
  b.flush();
  assert.deepEqual(out, [
    { ids: 'a', body: 'one' },
    { ids: 'a', body: 'two' },
    { ids: [{ id: 'a', seq: 3 }, { id: 'b', seq: 9 }], body: 'one' },
    { ids: 'e', body: 'one' },
  ]);
});
