// Sequencer (prev-id ordering, message_wait, no-seq, id cache), last ids, update limiter,
// internal requests (collapsing, limits, failures) and the next-link helpers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishItem } from '@pushpin-ts/grip';
import {
  CHANNEL_PENDING_MAX, InternalRequester, InternalRequestError, LastIds, LinkTimers, Sequencer, UpdateLimiter,
  gripLastHeaders, resolveLink, retryDelay, retryHeaders, shareKey,
} from '../src/seq/index.js';
import { TimerWheel } from '../src/timer-wheel.js';
import { recordingLog } from './helpers/fakes.js';
import { FakeInitiator, flush } from './helpers/seq-fakes.js';

function clock() {
  const c = { now: 1_000_000 };
  const wheel = new TimerWheel({ tickMs: 100, clock: () => c.now, onError: (e) => { throw e; } });
  return { wheel, advance(ms: number) { c.now += ms; wheel.advance(); } };
}

function it(channel: string, id?: string, prevId?: string, extra: Partial<PublishItem> = {}): PublishItem {
  return {
    channel, meta: {}, noSeq: false,
    ...(id !== undefined ? { id } : {}), ...(prevId !== undefined ? { prevId } : {}),
    formats: { httpStream: { action: 'send', content: Buffer.from(id ?? '-') } },
    ...extra,
  };
}

function seq(o: { waitMs?: number; ttl?: number; subscribed?: (ch: string) => boolean } = {}) {
  const c = clock();
  const log = recordingLog();
  const lastIds = new LastIds();
  const out: string[] = [];
  const s = new Sequencer({
    wheel: c.wheel, log, lastIds, waitMs: o.waitMs ?? 5000, idCacheTtl: o.ttl ?? 0,
    hasSubscribers: o.subscribed ?? (() => true),
  });
  const push = (...items: PublishItem[]) => { for (const i of items) s.push(i, (x) => out.push(`${x.channel}:${x.id ?? '-'}`)); };
  return { s, c, log, lastIds, out, push };
}

test('sequencer: chained items published in reverse order are delivered in chain order', () => {
  const { push, out, lastIds } = seq();
  push(it('a', '1', '0'));
  push(it('a', '5', '4'), it('a', '4', '3'), it('a', '3', '2'), it('a', '2', '1'));
  assert.deepEqual(out, ['a:1', 'a:2', 'a:3', 'a:4', 'a:5']);
  assert.equal(lastIds.get('a'), '5');
});

test('sequencer: a gap that never fills is delivered out of order after message_wait, not before', () => {
  const { push, out, c, s, log } = seq({ waitMs: 2000 });
  push(it('a', '1', '0'), it('a', '3', '2'), it('a', '4', '3'));
  assert.deepEqual(out, ['a:1']);
  assert.equal(s.pendingCount, 2);
  c.advance(1000);
  assert.deepEqual(out, ['a:1'], 'still waiting');
  c.advance(1500);
  assert.deepEqual(out, ['a:1', 'a:3', 'a:4'], 'released in chain order after the wait');
  assert.equal(s.pendingCount, 0);
  assert.ok(log.lines.some((l) => /timing out pending item/.test(l.msg)));
});

test('sequencer: no-seq items and items on channels without subscribers pass straight through', () => {
  const { push, out, lastIds } = seq({ subscribed: (ch) => ch !== 'idle' });
  push(it('a', '1', '0'), it('a', '9', '8', { noSeq: true }));
  assert.deepEqual(out, ['a:1', 'a:9']);
  assert.equal(lastIds.get('a'), '1', 'no-seq items do not move the last id');
  push(it('idle', '5', '4'), it('idle', '7', '6'));
  assert.deepEqual(out.slice(2), ['idle:5', 'idle:7']);
  assert.equal(lastIds.get('idle'), undefined);
});

test('sequencer: a prev-id on a channel with no known last id is delivered at once', () => {
  const { push, out } = seq();
  push(it('fresh', '10', 'unknown-prev'));
  assert.deepEqual(out, ['fresh:10']);
});

test('sequencer: duplicate ids are dropped within id_cache_ttl, accepted again after it', () => {
  const { push, out, c } = seq({ ttl: 2 });
  push(it('a', '1'), it('a', '1'), it('b', '1'), it('a'), it('a'));
  assert.deepEqual(out, ['a:1', 'b:1', 'a:-', 'a:-'], 'same id on another channel and id-less items are kept');
  c.advance(2100);
  push(it('a', '1'));
  assert.deepEqual(out.at(-1), 'a:1');
});

test('sequencer: pending items are bounded per channel; a second item for the same prev-id is dropped', () => {
  const { push, out, s, log } = seq();
  push(it('a', '1', '0'));
  push(it('a', 'x', '7'), it('a', 'y', '7'));
  assert.equal(s.pendingCount, 1);
  for (let i = 0; i < CHANNEL_PENDING_MAX + 10; i++) push(it('a', `p${i}`, `q${i}`));
  assert.equal(s.pendingCount, CHANNEL_PENDING_MAX);
  assert.equal(log.lines.filter((l) => l.level === 'warn' && /too many pending/.test(l.msg)).length, 1, 'one warning per overflow');
  assert.deepEqual(out, ['a:1']);
});

test('sequencer: clearChannel forgets pending items and the last id (last subscriber left)', () => {
  const { push, out, s, lastIds, c } = seq({ waitMs: 1000 });
  push(it('a', '1', '0'), it('a', '3', '2'));
  s.clearChannel('a');
  assert.equal(s.pendingCount, 0);
  assert.equal(lastIds.get('a'), undefined);
  c.advance(3000);
  assert.deepEqual(out, ['a:1']);
});

test('sequencer: reset (recover) clears the last ids', () => {
  const { push, out, s } = seq();
  push(it('a', '1', '0'));
  s.reset();
  push(it('a', '9', '8'));
  assert.deepEqual(out, ['a:1', 'a:9']);
});

test('last ids: bounded, least recently set forgotten first', () => {
  const l = new LastIds(2);
  l.set('a', '1'); l.set('b', '1'); l.set('a', '2'); l.set('c', '1');
  assert.equal(l.get('b'), undefined);
  assert.equal(l.get('a'), '2');
  assert.equal(l.size, 2);
});

test('update limiter: at most 10 actions per second, sessions with the same key batched', () => {
  const c = clock();
  const lim = new UpdateLimiter(c.wheel, recordingLog());
  const ran: string[] = [];
  const mk = (n: string) => ({ doUpdate: () => ran.push(n) });
  const a = mk('a1'), a2 = mk('a2'), b = mk('b1'), gone = mk('gone');
  lim.add('u1', a);
  assert.deepEqual(ran, ['a1'], 'an idle limiter runs at once');
  lim.add('u1', a2); lim.add('u2', b); lim.add('u1', mk('a3')); lim.add('u3', gone);
  lim.remove(gone);
  assert.deepEqual(ran, ['a1']);
  c.advance(100);
  assert.deepEqual(ran, ['a1', 'a2', 'a3'], 'same key batched into one action');
  c.advance(100);
  assert.deepEqual(ran, ['a1', 'a2', 'a3', 'b1']);
  c.advance(500);
  assert.deepEqual(ran, ['a1', 'a2', 'a3', 'b1'], 'removed session never runs');
  assert.equal(lim.waiting, 0);
});

function requester(o: { timeoutMs?: number; maxBody?: number } = {}) {
  const c = clock();
  const init = new FakeInitiator();
  const rq = new InternalRequester({ initiator: init, scheduler: c.wheel, log: recordingLog(), ...o });
  return { c, init, rq };
}

test('internal request: first packet, buffered body, credits returned', async () => {
  const { init, rq } = requester();
  const p = rq.request({ method: 'GET', uri: 'http://h/n', headers: [['Host', 'h']] });
  const s = init.last();
  assert.equal(s.first?.method, 'GET');
  assert.equal(s.first?.uri, 'http://h/n');
  assert.equal(s.first?.stream, true);
  assert.ok((s.first?.credits ?? 0) > 0);
  s.onresponse?.({ id: 'x', code: 200, reason: 'OK', headers: [['A', 'b']], body: Buffer.from('ab'), more: true });
  s.ondata?.({ id: 'x', body: Buffer.from('cd'), more: false });
  const r = await p;
  assert.equal(r.body.toString(), 'abcd');
  assert.deepEqual(r.headers, [['A', 'b']]);
  assert.equal(s.credited, 2);
});

test('internal request: passthrough as Pushpin 1.36 sends it (route, prefer-internal, auto-share when shared)', () => {
  const { init, rq } = requester();
  void rq.request({ method: 'GET', uri: 'http://h/n', headers: [], route: '*,*,*,*' }, true);
  assert.deepEqual(init.last().first?.passthrough, { route: Buffer.from('*,*,*,*'), 'prefer-internal': true, 'auto-share': true });
  void rq.request({ method: 'GET', uri: 'http://h/r', headers: [] });
  assert.deepEqual(init.last().first?.passthrough, { 'prefer-internal': true });
});

test('internal request: identical shared requests are collapsed; different Grip-Last are not', async () => {
  const { init, rq } = requester();
  const h = (id: string): Array<[string, string]> => [['Grip-Last', `c; last-id=${id}`]];
  const p1 = rq.request({ method: 'GET', uri: 'http://h/n?a=1', headers: h('1') }, true);
  const p2 = rq.request({ method: 'GET', uri: 'http://h/n?a=2', headers: h('1') }, true);
  const p3 = rq.request({ method: 'GET', uri: 'http://h/n', headers: h('2') }, true);
  assert.equal(init.opened.length, 2);
  init.opened[0]!.answer(200, [], 'one');
  init.opened[1]!.answer(200, [], 'two');
  assert.equal((await p1).body.toString(), 'one');
  assert.equal((await p2).body.toString(), 'one');
  assert.equal((await p3).body.toString(), 'two');
  assert.equal(rq.sharedInFlight, 0);
  rq.request({ method: 'GET', uri: 'http://h/n', headers: h('1') }, true);
  assert.equal(init.opened.length, 3, 'a finished request is not joined');
});

test('internal request: failure, timeout and oversized answers reject with a clear condition', async () => {
  const { init, rq, c } = requester({ timeoutMs: 1000, maxBody: 4 });
  const failed = rq.request({ method: 'GET', uri: 'http://h/a', headers: [] });
  init.last().fail('remote-connection-failed');
  await assert.rejects(failed, (e: unknown) => e instanceof InternalRequestError && e.condition === 'remote-connection-failed');
  const slow = rq.request({ method: 'GET', uri: 'http://h/b', headers: [] });
  const slowSession = init.last();
  c.advance(1100);
  await assert.rejects(slow, (e: unknown) => e instanceof InternalRequestError && e.condition === 'timeout');
  assert.equal(slowSession.cancelled, true);
  const big = rq.request({ method: 'GET', uri: 'http://h/c', headers: [] });
  init.last().answer(200, [], 'too big');
  await assert.rejects(big, (e: unknown) => e instanceof InternalRequestError && e.condition === 'too-large');
  await flush();
});

test('helpers: link resolution, Grip-Last, retry delays, share key, retry headers', () => {
  assert.equal(resolveLink('http://h:1/a/b?x', '/c?n=2'), 'http://h:1/c?n=2');
  assert.equal(resolveLink('http://h:1/a/b', 'next'), 'http://h:1/a/next');
  assert.equal(resolveLink('http://h:1/a', 'ftp://x/y'), undefined);
  assert.deepEqual(gripLastHeaders([{ channel: 'p-a', filters: [], prevId: '3' }, { channel: 'p-b', filters: [] }], 'p-'), [['Grip-Last', 'a; last-id=3']]);
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => retryDelay(n, 1000, () => 0)), [1000, 2000, 4000, 8000, 16000]);
  assert.equal(retryDelay(0, 1000, () => 0.999), 1999);
  assert.equal(shareKey('http://h/n?x=1', [['Grip-Last', 'b; last-id=1'], ['Grip-Last', 'a; last-id=2']]), 'auto|http://h/n|a; last-id=2|b; last-id=1');
  assert.deepEqual(retryHeaders([['X', '1'], ['Grip-Sig', 'forged'], ['grip-last', 'x']], [['Grip-Last', 'c; last-id=1']]), [['X', '1'], ['Grip-Last', 'c; last-id=1']]);
});

test('next-link timeouts: sessions of one bucket (timeout + URI without query) refetch together; active ones skip a period', () => {
  const c = clock();
  const lt = new LinkTimers(c.wheel);
  const ran: string[] = [];
  const mk = (n: string) => ({ update: (p: 'low' | 'high') => ran.push(`${n}:${p}`) });
  const a = mk('a'), b = mk('b'), d = mk('d'), other = mk('other');
  lt.register(a, 10, 'http://h/next?s=1');
  c.advance(4000);
  lt.register(b, 10, 'http://h/next?s=2'); // joins a's bucket: fires with it
  lt.register(d, 10, 'http://h/next?s=3');
  lt.register(other, 5, 'http://h/next');
  lt.register(d, 10, 'http://h/next?s=3', true); // all channels active: skip one period
  c.advance(5100);
  assert.deepEqual(ran, ['other:low']);
  c.advance(1000);
  assert.deepEqual(ran.sort(), ['a:low', 'b:low', 'other:low'], 'b fires with a, 6 s after it registered');
  assert.equal(lt.size, 1, 'the deferred session waits another period');
  c.advance(10_100);
  assert.ok(ran.includes('d:low'));
  assert.equal(lt.size, 0);
  lt.register(a, 10, 'http://h/x');
  lt.unregister(a);
  c.advance(20_000);
  assert.equal(ran.filter((x) => x === 'a:low').length, 1, 'unregistered sessions do not fire');
});
