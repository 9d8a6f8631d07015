import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { CreditBatcher } from '../src/credit-batch.js';

test('grants of one turn are coalesced per session; ended sessions get nothing', async () => {
  const sent: Array<[string, number]> = [];
  const mk = (name: string) => ({ name, ended: false, credit(n: number) { sent.push([name, n]); } });
  const a = mk('a');
  const b = mk('b');
  const cb = new CreditBatcher();
  cb.add(a, 5);
  cb.add(b, 1);
  cb.add(a, 7);
  cb.add(a, 0);
  assert.deepEqual(sent, [], 'nothing before the turn ends');
  await tick();
  assert.deepEqual(sent, [['a', 12], ['b', 1]]);
  cb.add(b, 3);
  b.ended = true;
  await tick();
  assert.deepEqual(sent, [['a', 12], ['b', 1]]);
});

test('equal grants to sessions of one responder go out as one multi-id credit; the rest alone', async () => {
  const single: Array<[string, number]> = [];
  const many: Array<[string, string[], number]> = [];
  const mk = (name: string, peer: string | undefined, peerMulti = true) =>
    ({ name, peer, peerMulti, ended: false, credit(n: number) { single.push([name, n]); } });
  type S = ReturnType<typeof mk>;
  const cb = new CreditBatcher<S>((peer, list, n) => many.push([peer, list.map((s) => s.name), n]));
  const [a, b, c, d, e] = [mk('a', 'h'), mk('b', 'h'), mk('c', 'h'), mk('d', 'h', false), mk('e', undefined)];
  for (const s of [a, b, c, d, e]) cb.add(s, 10);
  cb.add(c, 5);
  await tick();
  assert.deepEqual(many, [['h', ['a', 'b'], 10]]);
  assert.deepEqual(single.sort(), [['c', 15], ['d', 10], ['e', 10]]);
});

test('a session owed flushAt credits flushes at once', () => {
  const sent: Array<[string, number]> = [];
  const cb = new CreditBatcher(undefined, 100);
  const a = { ended: false, credit(n: number) { sent.push(['a', n]); } };
  cb.add(a, 60);
  assert.deepEqual(sent, []);
  cb.add(a, 40);
  assert.deepEqual(sent, [['a', 100]]);
});
