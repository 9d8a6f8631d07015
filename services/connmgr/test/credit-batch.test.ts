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
