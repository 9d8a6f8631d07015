// message_rate / message_hwm: the limiter alone, and the hub fanning out through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishItem } from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem, Subscriber } from '../src/hub.js';
import { PublishLimiter } from '../src/inputs/publish-limiter.js';
import { testCtx } from './helpers/fakes.js';

/** A limiter on a fake clock (ms) that the test moves by hand. */
function limiter(rate: number, hwm: number) {
  const clock = { t: 1_000_000 };
  const l = new PublishLimiter({ rate, hwm, intervalMs: 25, now: () => clock.t });
  return { l, clock };
}

test('submit runs at once while tokens last, then queues in order; processBatch runs what the refill pays for', () => {
  const { l, clock } = limiter(400, 0); // 400/s: a batch (25 ms) holds 10 tokens
  const ran: number[] = [];
  for (let i = 0; i < 15; i++) assert.equal(l.submit('', 1, () => ran.push(i)), true);
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(l.queued, 5);
  clock.t += 5; // 2 tokens
  l.processBatch();
  assert.deepEqual(ran.slice(10), [10, 11]);
  clock.t += 1000;
  l.processBatch();
  assert.deepEqual(ran.slice(10), [10, 11, 12, 13, 14]);
  assert.equal(l.queued, 0);
  l.close();
});

test('hwm: a bucket holding hwm queued actions refuses more; other buckets are unaffected', () => {
  const { l } = limiter(40, 3); // one token per batch
  const ran: string[] = [];
  assert.equal(l.submit('a', 1, () => ran.push('a0')), true); // runs (the first token)
  for (let i = 1; i <= 3; i++) assert.equal(l.submit('a', 1, () => ran.push(`a${i}`)), true);
  assert.equal(l.submit('a', 1, () => ran.push('a4')), false);
  assert.equal(l.submit('b', 1, () => ran.push('b0')), true);
  assert.deepEqual(ran, ['a0']);
  assert.equal(l.queued, 4);
  l.close();
});

test('tryCharge takes the whole weight only when it can all run now, and never jumps a queue', () => {
  const { l, clock } = limiter(400, 0); // 10 tokens
  assert.equal(l.tryCharge('', 11), false, 'more than the tokens');
  assert.equal(l.tryCharge('', 10), true);
  assert.equal(l.tryCharge('', 1), false, 'no tokens left');
  const ran: number[] = [];
  l.submit('', 1, () => ran.push(1)); // queues
  clock.t += 1000; // plenty of tokens now, but the bucket has a queue
  assert.equal(l.tryCharge('', 1), false);
  assert.equal(l.tryCharge('other', 1), true, 'another bucket is free');
  l.processBatch();
  assert.deepEqual(ran, [1]);
  assert.equal(l.tryCharge('', 1), true);
  l.close();
  assert.equal(l.tryCharge('', 1), false, 'closed');
  const unlimited = new PublishLimiter({ rate: 0, hwm: 0 });
  assert.equal(unlimited.tryCharge('', 1e9), true);
});

class Rec implements Subscriber {
  readonly subs = new Map<string, ChannelSub>();
  readonly channelNames = new Set<string>(['ch']);
  readonly meta = {};
  readonly mode = 'stream' as const;
  constructor(readonly cid: string, readonly log: string[]) { this.subs.set('ch', { channel: 'ch', filters: [] }); }
  deliver(p: PreparedItem): void { this.log.push(`${this.cid}:${p.item.formats.httpStream!.content.toString()}`); }
}

const item = (text: string): PublishItem => ({
  channel: 'ch', meta: {}, noSeq: false, formats: { httpStream: { action: 'send', content: Buffer.from(text) } },
});

function hubWith(rate: number, hwm: number, n: number) {
  const { hub } = testCtx();
  const { l, clock } = limiter(rate, hwm);
  hub.setLimiter(l);
  const log: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = new Rec(`s${i}`, log);
    hub.addConnection(s);
    hub.subscribe(s, 'ch');
  }
  return { hub, l, clock, log };
}

test('hub: a fan-out the tokens cover is charged once and delivered at once, in subscription order', () => {
  const { hub, l, log } = hubWith(1_000_000, 0, 50);
  hub.publish([item('x')]);
  assert.equal(log.length, 50);
  assert.deepEqual(log.slice(0, 3), ['s0:x', 's1:x', 's2:x']);
  assert.equal(l.queued, 0);
  assert.equal(l.tryCharge('', 25_000 - 50), true, 'exactly 50 tokens were taken');
  assert.equal(l.tryCharge('', 1), false);
  l.close();
});

test('hub: a fan-out larger than the tokens runs what they cover and queues the rest, then items stay in order', () => {
  const { hub, l, clock, log } = hubWith(400, 0, 25); // 10 tokens per batch
  hub.publish([item('a'), item('b')]);
  assert.deepEqual(log, Array.from({ length: 10 }, (_, i) => `s${i}:a`));
  assert.equal(l.queued, 40);
  clock.t += 10_000;
  l.processBatch();
  assert.equal(log.length, 20);
  assert.deepEqual(log.slice(10), Array.from({ length: 10 }, (_, i) => `s${i + 10}:a`));
  while (l.queued > 0) { clock.t += 10_000; l.processBatch(); }
  assert.equal(log.length, 50);
  // every subscriber got a before b
  for (let i = 0; i < 25; i++) assert.ok(log.indexOf(`s${i}:a`) < log.indexOf(`s${i}:b`), `s${i}`);
  l.close();
});

test('hub: deliveries over the hwm are dropped and reported, the rest still arrive', () => {
  const { hub, l, clock, log } = hubWith(40, 5, 10); // 1 token per batch, 5 may queue
  const dropped: string[] = [];
  hub.onDropped((_ch, cid, reason) => dropped.push(`${cid}:${reason}`));
  hub.publish([item('x')]);
  assert.deepEqual(log, ['s0:x']);
  assert.equal(l.queued, 5);
  assert.deepEqual(dropped, ['s6:hwm', 's7:hwm', 's8:hwm', 's9:hwm']);
  while (l.queued > 0) { clock.t += 1000; l.processBatch(); }
  assert.deepEqual(log, ['s0:x', 's1:x', 's2:x', 's3:x', 's4:x', 's5:x']);
  l.close();
});

/** A limiter whose event-loop turns the test ends by hand. */
function turnLimiter(rate: number, hwm: number) {
  const clock = { t: 1_000_000 };
  const ends: Array<() => void> = [];
  const l = new PublishLimiter({ rate, hwm, intervalMs: 25, now: () => clock.t, endOfTurn: (fn) => ends.push(fn) });
  const endTurn = (): void => { for (const fn of ends.splice(0)) fn(); };
  return { l, clock, endTurn };
}

test('batches stay intervalMs apart under load, but an idle limiter runs at once', () => {
  const { l, clock, endTurn } = turnLimiter(1_000_000, 0);
  const ran: string[] = [];
  l.submit('', 1, () => ran.push('a'));
  l.submit('', 1, () => ran.push('b')); // same turn: same run
  assert.deepEqual(ran, ['a', 'b']);
  endTurn();
  clock.t += 10; // 10 ms after that run: waits for the next batch
  assert.equal(l.tryCharge('', 1), false);
  l.submit('', 1, () => ran.push('c'));
  l.submit('', 1, () => ran.push('d'));
  assert.deepEqual(ran, ['a', 'b']);
  assert.equal(l.queued, 2);
  clock.t += 15;
  l.processBatch();
  assert.deepEqual(ran, ['a', 'b', 'c', 'd']);
  endTurn();
  clock.t += 24; // the batch just ran: still too soon
  l.submit('', 1, () => ran.push('e'));
  assert.equal(l.queued, 1);
  clock.t += 1;
  l.processBatch();
  endTurn();
  clock.t += 100; // quiet for long: at once again
  assert.equal(l.tryCharge('', 1), true);
  l.submit('', 1, () => ran.push('f'));
  assert.deepEqual(ran, ['a', 'b', 'c', 'd', 'e', 'f']);
  l.close();
});

test('the high-water mark counts queued deliveries (action weights), not actions', () => {
  const { l, clock, endTurn } = turnLimiter(1_000_000, 10);
  l.submit('', 1, () => undefined);
  endTurn();
  clock.t += 1;
  assert.equal(l.canQueueWhole('', 10), true);
  assert.equal(l.submit('', 6, () => undefined), true);
  assert.equal(l.canQueueWhole('', 5), false);
  assert.equal(l.submit('', 5, () => undefined), false);
  assert.equal(l.submit('', 4, () => undefined), true);
  assert.equal(l.submit('', 1, () => undefined), false);
  assert.equal(l.canQueueWhole('', 25_001), false, 'more than one batch holds');
  l.close();
});

test('hub: a fan-out arriving right after a batch waits as one action and reaches every subscriber in order', () => {
  const { hub } = testCtx();
  const { l, clock, endTurn } = turnLimiter(1_000_000, 0);
  hub.setLimiter(l);
  const log: string[] = [];
  const subs = Array.from({ length: 5 }, (_, i) => new Rec(`s${i}`, log));
  for (const s of subs) { hub.addConnection(s); hub.subscribe(s, 'ch'); }
  hub.publish([item('1')]);
  assert.equal(log.length, 5);
  endTurn();
  clock.t += 5;
  hub.publish([item('2'), item('3')]);
  assert.equal(log.length, 5, 'waiting for the batch');
  assert.equal(l.queued, 2, 'one action per item, not per subscriber');
  hub.removeConnection(subs[4]!); // leaves meanwhile: gets nothing more
  clock.t += 20;
  l.processBatch();
  assert.deepEqual(log.slice(5), ['s0:2', 's1:2', 's2:2', 's3:2', 's0:3', 's1:3', 's2:3', 's3:3']);
  l.close();
});

test('adaptive interval: back-to-back batches of several actions double the interval up to the max; quiet brings it back', () => {
  const clock = { t: 1_000_000 };
  const endOfTurn: Array<() => void> = [];
  const l = new PublishLimiter({ rate: 1_000_000, hwm: 0, intervalMs: 25, maxIntervalMs: 100, now: () => clock.t, endOfTurn: (fn) => { endOfTurn.push(fn); } });
  const ran: number[] = [];
  const turnEnds = () => { for (const fn of endOfTurn.splice(0)) fn(); };
  let n = 0;
  const publish = () => { const i = n++; l.submit('', 1000, () => ran.push(i)); };
  publish(); // idle: runs at once
  turnEnds();
  assert.deepEqual(ran, [0]);
  assert.equal(l.currentIntervalMs, 25);
  const cap25 = l.cap;
  // three publishes during the interval wait for the batch; the batch ran 3: the interval doubles
  clock.t += 10; publish(); publish(); publish();
  assert.deepEqual(ran, [0]);
  clock.t += 15; l.processBatch();
  assert.deepEqual(ran, [0, 1, 2, 3]);
  assert.equal(l.currentIntervalMs, 50);
  assert.equal(l.cap, cap25 * 2, 'a batch can spend what the rate pays for over the longer interval');
  clock.t += 20; publish(); publish();
  clock.t += 30; l.processBatch();
  assert.equal(l.currentIntervalMs, 100);
  clock.t += 40; publish(); publish();
  assert.deepEqual(ran, [0, 1, 2, 3, 4, 5], 'still inside the 100 ms interval: waiting');
  clock.t += 60; l.processBatch();
  assert.equal(l.currentIntervalMs, 100, 'capped');
  // a batch of one action: the load has eased
  clock.t += 50; publish();
  clock.t += 50; l.processBatch();
  assert.equal(l.currentIntervalMs, 25);
  // up again, then a quiet spell: the next publish runs at once on the short interval
  clock.t += 10; publish(); publish();
  clock.t += 15; l.processBatch();
  assert.equal(l.currentIntervalMs, 50);
  turnEnds();
  clock.t += 500; publish();
  assert.equal(ran.at(-1), n - 1, 'ran at once');
  assert.equal(l.currentIntervalMs, 25);
  assert.deepEqual(ran, [...Array(n).keys()], 'every action ran, in order');
  l.close();
});

test('adaptive interval: not grown when a batch already nears the hwm (longer batches would drop)', () => {
  const clock = { t: 1_000_000 };
  const ends: Array<() => void> = [];
  const l = new PublishLimiter({ rate: 1_000_000, hwm: 10_000, intervalMs: 25, maxIntervalMs: 100, now: () => clock.t, endOfTurn: (fn) => { ends.push(fn); } });
  l.submit('', 1000, () => undefined);
  for (const fn of ends.splice(0)) fn();
  clock.t += 10;
  for (let i = 0; i < 3; i++) l.submit('', 1000, () => undefined); // 3000 * 4 >= hwm
  clock.t += 15; l.processBatch();
  assert.equal(l.currentIntervalMs, 25);
  clock.t += 10;
  l.submit('', 1000, () => undefined); l.submit('', 1000, () => undefined); // 2000 * 4 < hwm
  clock.t += 15; l.processBatch();
  assert.equal(l.currentIntervalMs, 50);
  l.close();
});

test('adaptive interval: light batches (fewer deliveries than growAboveWeight) keep the short interval', () => {
  const clock = { t: 1_000_000 };
  const ends: Array<() => void> = [];
  const l = new PublishLimiter({ rate: 1_000_000, hwm: 0, intervalMs: 25, maxIntervalMs: 100, growAboveWeight: 1000, now: () => clock.t, endOfTurn: (fn) => { ends.push(fn); } });
  l.submit('', 10, () => undefined);
  for (const fn of ends.splice(0)) fn();
  // 100 publishes/s to 10 subscribers: a few small fan-outs per batch
  for (let batch = 0; batch < 5; batch++) {
    clock.t += 10; l.submit('', 10, () => undefined); l.submit('', 10, () => undefined);
    clock.t += 15; l.processBatch();
    assert.equal(l.currentIntervalMs, 25, `batch ${batch}`);
  }
  // heavy fan-outs: it grows
  clock.t += 10; l.submit('', 600, () => undefined); l.submit('', 600, () => undefined);
  clock.t += 15; l.processBatch();
  assert.equal(l.currentIntervalMs, 50);
  l.close();
});
