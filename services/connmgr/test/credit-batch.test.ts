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

test('lazy: grants below the threshold wait (past the turn) until they add up or the delay ends', async () => {
  const sent: Array<[string, number]> = [];
  const mk = (name: string) => ({ name, ended: false, credit(n: number) { sent.push([name, n]); } });
  const [a, b, c] = [mk('a'), mk('b'), mk('c')];
  const cb = new CreditBatcher(undefined, Infinity, { below: 100, maxDelayMs: 80 });
  cb.add(a, 30);
  cb.add(b, 30);
  cb.add(c, 120);
  await tick();
  assert.deepEqual(sent, [['c', 120]], 'only the grant worth sending went at the end of the turn');
  cb.add(a, 30);
  cb.add(a, 50); // a is owed 110 now: due with this turn, the earlier 30 included
  await tick();
  assert.deepEqual(sent, [['c', 120], ['a', 110]]);
  cb.add(b, 5);
  c.ended = true;
  cb.add(c, 1); // an ended session gets nothing
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(sent, [['c', 120], ['a', 110], ['b', 35]], 'b got its small grants within the delay, once');
});

test('lazy: waiting grants of a fan-out go out together as one multi-id credit', async () => {
  const many: Array<[string, string[], number]> = [];
  const mk = (name: string) => ({ name, peer: 'h', peerMulti: true, ended: false, credit() { throw new Error('single credit'); } });
  type S = ReturnType<typeof mk>;
  const cb = new CreditBatcher<S>((peer, list, n) => many.push([peer, list.map((s) => s.name), n]), Infinity, { below: 1000, maxDelayMs: 30 });
  const subs = [mk('a'), mk('b'), mk('c')];
  for (let msg = 0; msg < 3; msg++) {
    for (const s of subs) cb.add(s, 25);
    await tick();
  }
  assert.deepEqual(many, [], 'three small messages: nothing yet');
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(many, [['h', ['a', 'b', 'c'], 75]]);
});
