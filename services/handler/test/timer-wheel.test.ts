import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../src/timer-wheel.js';

function wheel() {
  const clock = { now: 5_000 };
  const w = new TimerWheel({ tickMs: 100, clock: () => clock.now });
  return { w, at(ms: number) { clock.now = ms; w.advance(); }, clock };
}

test('timers fire once, never early, at most one tick late, in due order', () => {
  const { w, at } = wheel();
  const fired: string[] = [];
  w.schedule(250, () => fired.push('b'));
  w.schedule(100, () => fired.push('a'));
  w.schedule(1000, () => fired.push('c'));
  assert.equal(w.size, 3);
  at(5_099); assert.deepEqual(fired, []);
  at(5_100); assert.deepEqual(fired, ['a']);
  at(5_249); assert.deepEqual(fired, ['a']);
  at(5_300); assert.deepEqual(fired, ['a', 'b']);
  at(7_000); assert.deepEqual(fired, ['a', 'b', 'c']);
  at(9_000); assert.deepEqual(fired, ['a', 'b', 'c']);
  assert.equal(w.size, 0);
});

test('cancel, cancel twice, cancel from inside a callback', () => {
  const { w, at } = wheel();
  const fired: string[] = [];
  const t1 = w.schedule(100, () => fired.push('x'));
  let t3: ReturnType<TimerWheel['schedule']> | undefined;
  w.schedule(100, () => { fired.push('y'); w.cancel(t3); });
  t3 = w.schedule(100, () => fired.push('z'));
  w.cancel(t1); w.cancel(t1);
  assert.equal(t1.active, false);
  at(5_200);
  assert.ok(fired.includes('y'));
  assert.ok(!fired.includes('x'));
  assert.equal(w.size, 0);
});

test('a callback may reschedule; a throwing callback does not stop the others', () => {
  const errors: unknown[] = [];
  const clock = { now: 0 };
  const w = new TimerWheel({ tickMs: 100, clock: () => clock.now, onError: (e) => errors.push(e) });
  let n = 0;
  const again = () => { n++; if (n < 3) w.schedule(100, again); };
  w.schedule(100, again);
  w.schedule(100, () => { throw new Error('boom'); });
  for (let t = 0; t <= 1000; t += 50) { clock.now = t; w.advance(); }
  assert.equal(n, 3);
  assert.equal(errors.length, 1);
});

test('a long clock jump fires everything due without walking every tick', () => {
  const { w, at } = wheel();
  let fired = 0;
  for (let i = 0; i < 1000; i++) w.schedule(i * 37, () => fired++);
  w.schedule(10 * 86_400_000, () => fired++);
  at(5_000 + 86_400_000);
  assert.equal(fired, 1000);
  assert.equal(w.size, 1);
});

test('turnNow reads the real clock once per run of synchronous code; a test clock every time', async () => {
  const w = new TimerWheel();
  const t1 = w.turnNow();
  const spin = Date.now() + 5;
  while (Date.now() < spin) { /* the same run, 5 ms later */ }
  assert.equal(w.turnNow(), t1, 'same run: the same reading');
  assert.ok(w.now() >= t1 + 5, 'now() reads the clock');
  await Promise.resolve();
  assert.ok(w.turnNow() >= t1 + 5, 'after its microtasks the clock is read again');
  const t2 = w.turnNow();
  // an I/O callback after an idle wait sees the time of its own run, not of an earlier one
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(w.turnNow() >= t2 + 25);

  const { w: fake, clock } = wheel();
  assert.equal(fake.turnNow(), 5_000);
  clock.now = 5_040;
  assert.equal(fake.turnNow(), 5_040);
});
