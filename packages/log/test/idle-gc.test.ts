import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleGc } from '../src/idle-gc.js';

test('collects once after a burst has gone quiet, not during it or after a few sessions', async () => {
  let runs = 0;
  const g = new IdleGc(() => { runs++; }, 3, 30);
  g.touch(); g.touch();
  await sleep(60);
  assert.equal(runs, 0, 'below the burst size');
  for (let i = 0; i < 5; i++) { g.touch(); await sleep(10); }
  assert.equal(runs, 0, 'not while sessions keep coming');
  await sleep(60);
  assert.equal(runs, 1);
  await sleep(60);
  assert.equal(runs, 1, 'once per burst');
  g.stop();
});

test('does nothing without an exposed gc', async () => {
  const g = new IdleGc(undefined, 1, 1);
  g.touch();
  await sleep(10);
  g.stop();
});
