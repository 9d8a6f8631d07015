// Held sessions with next links and retries (grip.md §8, §9): prev-id recovery through the
// next link, link chains, hint, timeouts, failures with back-off, loops, long-poll retries,
// gone links, first-subscription updates. The proxy side is a fake intreq initiator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInstruct, type PublishItem } from '@pushpin-ts/grip';
import { resumeAfterRetry, type AcceptDeps } from '../src/accept.js';
import { ResponseHold } from '../src/response-hold.js';
import { StreamHold } from '../src/stream-hold.js';
import { FirstSubscriptionUpdater, type SessionOrigin } from '../src/seq/index.js';
import { FakeSession, recordingLog } from './helpers/fakes.js';
import { flush, seqCtx, type SeqCtx } from './helpers/seq-fakes.js';

const ORIGIN: SessionOrigin = {
  request: { method: 'GET', uri: 'http://example.com/s/start?x=1', headers: [['Host', 'example.com'], ['Grip-Sig', 'forged'], ['X-Client', '1']], body: Buffer.alloc(0) },
  channelPrefix: '',
  debug: false,
};

function instruct(headers: Array<[string, string]>, body = '[open]\n') {
  return parseInstruct({ code: 200, reason: 'OK', headers, body: Buffer.from(body) });
}

function subsOf(ins: ReturnType<typeof instruct>) {
  return ins.channels.map((c) => ({ channel: c.name, filters: c.filters, ...(c.prevId !== undefined ? { prevId: c.prevId } : {}) }));
}

function stream(ctx: SeqCtx, headers: Array<[string, string]>, origin: SessionOrigin = ORIGIN) {
  const s = new FakeSession();
  const ins = instruct(headers);
  const h = new StreamHold(ctx, s, 'condure:1', ins, subsOf(ins), origin);
  h.start(ins.response.body);
  return { s, h };
}

const item = (channel: string, id: string | undefined, prevId: string | undefined, content: string, action: 'send' | 'hint' | 'close' = 'send', meta: Record<string, string> = {}): PublishItem => ({
  channel, meta, noSeq: false,
  ...(id !== undefined ? { id } : {}), ...(prevId !== undefined ? { prevId } : {}),
  formats: { httpStream: { action, content: Buffer.from(content) } },
});

const seqHeaders = (prev: string): Array<[string, string]> => [
  ['Grip-Hold', 'stream'], ['Grip-Channel', `c; prev-id=${prev}`], ['Grip-Link', '</s/next>; rel=next'],
];

test('stream: an item whose prev-id does not follow fetches the next link with Grip-Last and continues from its answer', async () => {
  const ctx = seqCtx();
  const { s } = stream(ctx, seqHeaders('1'));
  ctx.hub.publish([item('c', '2', '1', 'two\n')]);
  assert.equal(s.text(), '[open]\ntwo\n');
  ctx.seq.lastIds.set('c', '4');
  ctx.hub.publish([item('c', '4', '3', 'four\n')]); // 3 never arrived
  ctx.advance(200); // the update limiter's turn
  const rq = ctx.initiator.last();
  assert.equal(rq.uri, 'http://example.com/s/next');
  assert.deepEqual(rq.header('Grip-Last'), ['c; last-id=2']);
  assert.deepEqual(rq.header('Host'), ['example.com']);
  assert.equal(ctx.seq.lastIds.get('c'), undefined, 'the conflicting last id is forgotten');
  // published while the link is being fetched: one stale, one following the new hold
  ctx.hub.publish([item('c', '4', '3', 'four-again\n'), item('c', '5', '4', 'five\n')]);
  rq.answer(200, seqHeaders('4'), 'three\nfour\n');
  await flush();
  assert.equal(s.text(), '[open]\ntwo\nthree\nfour\nfive\n');
  ctx.hub.publish([item('c', '6', '5', 'six\n')]);
  assert.equal(s.text(), '[open]\ntwo\nthree\nfour\nfive\nsix\n');
  assert.equal(s.ended, false);
});

test('stream: items dropped by delivery filters still advance the prev-id (no false recovery)', () => {
  const ctx = seqCtx();
  const { s } = stream(ctx, [['Grip-Hold', 'stream'], ['Grip-Channel', 'c; prev-id=1; filter=skip-self'], ['Grip-Set-Meta', 'user="alice"'], ['Grip-Link', '</s/next>; rel=next']]);
  ctx.hub.publish([item('c', '2', '1', 'mine\n', 'send', { sender: 'alice' }), item('c', '3', '2', 'theirs\n', 'send', { sender: 'bob' })]);
  ctx.advance(500);
  assert.equal(s.text(), '[open]\ntheirs\n');
  assert.equal(ctx.initiator.opened.length, 0);
});

test('stream: hint fetches the next link at once; the answer is appended', async () => {
  const ctx = seqCtx();
  const { s } = stream(ctx, [['Grip-Hold', 'stream'], ['Grip-Channel', 'h'], ['Grip-Link', '</s/next>; rel=next']]);
  ctx.hub.publish([item('h', undefined, undefined, '', 'hint')]);
  assert.equal(ctx.initiator.opened.length, 1, 'no limiter wait for hints');
  ctx.initiator.last().answer(200, [['Grip-Hold', 'stream'], ['Grip-Channel', 'h']], 'fresh\n');
  await flush();
  assert.equal(s.text(), '[open]\nfresh\n');
});

test('stream: hint without a next link does nothing', () => {
  const ctx = seqCtx();
  const { s } = stream(ctx, [['Grip-Hold', 'stream'], ['Grip-Channel', 'h']]);
  ctx.hub.publish([item('h', undefined, undefined, '', 'hint'), item('h', undefined, undefined, 'x')]);
  assert.equal(ctx.initiator.opened.length, 0);
  assert.equal(s.text(), '[open]\nx');
});

test('no hold + next link: a chain is followed and a plain answer ends the response', async () => {
  const ctx = seqCtx();
  const s = new FakeSession();
  const ins = instruct([['Grip-Link', '</p?n=2>; rel=next']], 'page1\n');
  new StreamHold(ctx, s, 'condure:1', ins, [], ORIGIN).start(ins.response.body);
  assert.equal(ctx.initiator.last().uri, 'http://example.com/p?n=2');
  ctx.initiator.last().answer(200, [['Grip-Hold', 'stream'], ['Grip-Channel', 'x'], ['Grip-Link', '</p?n=3>; rel=next; timeout=3']], 'page2\n');
  await flush();
  assert.equal(ctx.hub.subscriberCount('x'), 1, 'subscribed to the hop\'s channels');
  ctx.advance(3100); // the link's timeout with no activity on the channels
  ctx.advance(200);
  assert.equal(ctx.initiator.last().uri, 'http://example.com/p?n=3');
  ctx.initiator.last().answer(200, [['Content-Type', 'text/plain']], 'page3\n');
  await flush();
  assert.equal(s.text(), 'page1\npage2\npage3\n');
  assert.deepEqual(s.sent.filter((x) => x.kind === 'data').at(-1), { kind: 'data', body: '', more: false });
  assert.equal(ctx.hub.subscriberCount('x'), 0);
  assert.equal(ctx.hub.connectionCount(), 0);
});

test('next link: failures are retried 5 times with doubling back-off, then the stream ends cleanly', async () => {
  const log = recordingLog();
  const ctx = seqCtx({ log });
  const debugOrigin = { ...ORIGIN, debug: true };
  const { s } = stream(ctx, [['Grip-Hold', 'stream'], ['Grip-Channel', 'f'], ['Grip-Link', '</s/next>; rel=next']], debugOrigin);
  ctx.hub.publish([item('f', undefined, undefined, '', 'hint')]);
  const at: number[] = [];
  for (let i = 0; i < 6; i++) {
    at.push(ctx.clock.now);
    const rq = ctx.initiator.last();
    if (i % 2) rq.answer(503, [], 'down'); else rq.fail();
    await flush();
    if (i < 5) {
      const before = ctx.initiator.opened.length;
      ctx.advance(1000 * 2 ** i - 100);
      assert.equal(ctx.initiator.opened.length, before, `retry ${i + 1} not before ${1000 * 2 ** i} ms`);
      ctx.advance(1200);
      assert.equal(ctx.initiator.opened.length, before + 1, `retry ${i + 1} within ${1000 * 2 ** i + 1100} ms`);
    }
  }
  assert.equal(ctx.initiator.opened.length, 6);
  assert.ok(s.text().endsWith('\n\nFailed to retrieve next link.\n'), s.text());
  assert.deepEqual(s.sent.filter((x) => x.kind === 'data').at(-1), { kind: 'data', body: '', more: false });
  assert.ok(log.lines.some((l) => l.level === 'warn' && /giving up/.test(l.msg)));
  assert.equal(ctx.hub.connectionCount(), 0);
  ctx.advance(60_000);
  assert.equal(ctx.initiator.opened.length, 6, 'nothing more after giving up');
});

test('next link: a response hold or invalid instruct in the answer ends the stream with the error', async () => {
  for (const [headers, msg] of [
    [[['Grip-Hold', 'response'], ['Grip-Channel', 'x']], 'Next link returned non-stream hold.'],
    [[['Grip-Hold', 'bogus']], "Grip-Hold must be set to either 'response' or 'stream'"],
  ] as Array<[Array<[string, string]>, string]>) {
    const ctx = seqCtx();
    const { s } = stream(ctx, [['Grip-Hold', 'stream'], ['Grip-Channel', 'e'], ['Grip-Link', '</s/next>; rel=next']], { ...ORIGIN, debug: true });
    ctx.hub.publish([item('e', undefined, undefined, '', 'hint')]);
    ctx.initiator.last().answer(200, headers, 'ignored');
    await flush();
    assert.ok(s.text().endsWith(`\n\n${msg}\n`), s.text());
    assert.equal(s.ended, true);
  }
});

test('next link: a loop of empty no-hold answers is paced, the session stays bounded', async () => {
  const log = recordingLog();
  const ctx = seqCtx({ log });
  const s = new FakeSession();
  const ins = instruct([['Grip-Link', '</loop>; rel=next']], 'start\n');
  new StreamHold(ctx, s, 'condure:1', ins, [], ORIGIN).start(ins.response.body);
  for (let i = 0; i < 200; i++) {
    const p = ctx.initiator.pending[0];
    if (p) { p.answer(200, [['Grip-Link', '</loop>; rel=next']], ''); await flush(); }
    ctx.advance(100);
  }
  // 20 s of simulated time: 10 free hops, then paced (100 ms doubling up to 16 s)
  assert.ok(ctx.initiator.opened.length < 30, `fetches: ${ctx.initiator.opened.length}`);
  assert.ok(ctx.initiator.opened.length > 10);
  assert.equal(s.ended, false);
  assert.ok(log.lines.some((l) => l.level === 'warn' && /pacing/.test(l.msg)));
  s.peerEnd();
  ctx.advance(60_000);
  assert.equal(ctx.initiator.pending.length, 0, 'client gone: no more fetches');
});

test('stream: prev-id with next link but no internal request socket ends with the configuration error', () => {
  const ctx = seqCtx({ withRequester: false });
  const { s } = stream(ctx, seqHeaders('1'), { ...ORIGIN, debug: true });
  ctx.hub.publish([item('c', '3', '2', 'x')]);
  ctx.advance(200);
  assert.ok(s.text().includes('Instruct contained link, but handler not configured for outbound requests.'));
  assert.equal(s.ended, true);
});

test('stream: a prev-id that conflicts with the known last id at hold time recovers at once', async () => {
  const ctx = seqCtx();
  ctx.seq.lastIds.set('c', '9');
  const { s } = stream(ctx, seqHeaders('5'));
  ctx.advance(200);
  const rq = ctx.initiator.last();
  assert.deepEqual(rq.header('Grip-Last'), ['c; last-id=5']);
  rq.answer(200, seqHeaders('9'), '6\n7\n8\n9\n');
  await flush();
  ctx.hub.publish([item('c', '10', '9', '10\n')]);
  assert.equal(s.text(), '[open]\n6\n7\n8\n9\n10\n');
});

test('gone link: POSTed once when the client goes away', async () => {
  const ctx = seqCtx();
  const { s } = stream(ctx, [['Grip-Hold', 'stream'], ['Grip-Channel', 'g'], ['Grip-Link', '</bye?u=1>; rel=gone']]);
  s.peerEnd();
  const rq = ctx.initiator.last();
  assert.equal(rq.first?.method, 'POST');
  assert.equal(rq.uri, 'http://example.com/bye?u=1');
  rq.answer(200, []);
  await flush();
  assert.equal(ctx.initiator.opened.length, 1);
});

test('first subscription: 1 s after a channel gets its first subscriber its sessions refetch', () => {
  const ctx = seqCtx();
  new FirstSubscriptionUpdater(ctx.hub, ctx.wheel, ctx.log);
  stream(ctx, seqHeaders('1'));
  ctx.advance(900);
  assert.equal(ctx.initiator.opened.length, 0);
  ctx.advance(300);
  assert.equal(ctx.initiator.opened.length, 1);
  assert.deepEqual(ctx.initiator.last().header('Grip-Last'), ['c; last-id=1']);
});

// ---- long-poll retries ----

function lp(ctx: SeqCtx, headers: Array<[string, string]>) {
  const s = new FakeSession();
  const ins = instruct([['Grip-Hold', 'response'], ...headers], 'timeout\n');
  const h = new ResponseHold(ctx, s, 'condure:lp', ins, subsOf(ins), ORIGIN);
  const deps: AcceptDeps = { ...ctx, adopt: () => { throw new Error('no adopt in retries'); }, connectionSubscriptionMax: 20 };
  h.resume = (answer, pending) => resumeAfterRetry(s, 'condure:lp', answer, ORIGIN, deps, pending);
  h.start();
  return { s, h };
}

test('long-poll: a prev-id mismatch retries the original request with Grip-Last; a new hold is served by the next publish', async () => {
  const ctx = seqCtx();
  const { s } = lp(ctx, [['Grip-Channel', 'r; prev-id=1']]);
  ctx.hub.publish([{ channel: 'r', id: '3', prevId: '2', meta: {}, noSeq: false, formats: { httpResponse: { action: 'send', code: 200, reason: 'OK', headers: [], body: Buffer.from('late') } } }]);
  assert.equal(s.sent.length, 0);
  ctx.advance(200);
  const rq = ctx.initiator.last();
  assert.equal(rq.uri, ORIGIN.request.uri);
  assert.deepEqual(rq.header('Grip-Last'), ['r; last-id=1']);
  assert.deepEqual(rq.header('Grip-Sig'), [], 'client Grip-* headers are not replayed');
  assert.deepEqual(rq.header('X-Client'), ['1']);
  // as Pushpin: the session stays subscribed while retrying and queues what is published
  assert.equal(ctx.hub.subscriberCount('r'), 1, 'still subscribed while retrying');
  ctx.hub.publish([{ channel: 'r', id: '4', prevId: '3', meta: {}, noSeq: false, formats: { httpResponse: { action: 'send', code: 200, reason: 'OK', headers: [], body: Buffer.from('four') } } }]);
  assert.equal(s.sent.length, 0, 'nothing is sent while the retry is in flight');
  rq.answer(200, [['Grip-Hold', 'response'], ['Grip-Channel', 'r; prev-id=3']], 'timeout\n');
  await flush();
  // the queued item follows the new hold's prev-id and answers the client
  assert.equal(s.text(), 'four');
  assert.equal(ctx.hub.subscriberCount('r'), 0);
});

test('long-poll: an item queued during a retry that does not follow the new hold is not sent', async () => {
  const ctx = seqCtx();
  const { s, h } = lp(ctx, [['Grip-Channel', 'r2; prev-id=1']]);
  h.update('high');
  const rq = ctx.initiator.last();
  ctx.hub.publish([{ channel: 'r2', id: '2', prevId: '1', meta: {}, noSeq: false, formats: { httpResponse: { action: 'send', code: 200, reason: 'OK', headers: [], body: Buffer.from('two') } } }]);
  rq.answer(200, [['Grip-Hold', 'response'], ['Grip-Channel', 'r2; prev-id=5']], 'timeout\n');
  await flush();
  assert.equal(s.text(), '', 'item 2 does not follow prev-id 5');
  assert.equal(ctx.hub.subscriberCount('r2'), 1, 'the new hold is subscribed');
});

test('long-poll: a retried request answered without GRIP is relayed; a failed one gets 502', async () => {
  const ctx = seqCtx();
  const a = lp(ctx, [['Grip-Channel', 'p']]);
  a.h.update('high');
  ctx.initiator.last().answer(200, [['Content-Type', 'text/plain'], ['Content-Length', '5'], ['Connection', 'close']], 'plain');
  await flush();
  const r = a.s.sent.find((x) => x.kind === 'respond');
  assert.ok(r && r.kind === 'respond');
  assert.deepEqual(r.head.headers, [['Content-Type', 'text/plain']]);
  assert.equal(a.s.text(), 'plain');
  const b = lp(ctx, [['Grip-Channel', 'q']]);
  b.h.update('high');
  ctx.initiator.last().fail();
  await flush();
  const e = b.s.sent.find((x) => x.kind === 'respond');
  assert.ok(e && e.kind === 'respond');
  assert.equal(e.head.code, 502);
  assert.equal(ctx.hub.connectionCount(), 0);
});

test('long-poll: a prev-id conflicting with the last id at accept is retried at once, without a loop', async () => {
  const ctx = seqCtx();
  ctx.seq.lastIds.set('k', '7');
  lp(ctx, [['Grip-Channel', 'k; prev-id=5']]);
  assert.equal(ctx.initiator.opened.length, 1);
  assert.equal(ctx.seq.lastIds.get('k'), undefined);
  ctx.initiator.last().answer(200, [['Grip-Hold', 'response'], ['Grip-Channel', 'k; prev-id=5']], 'x');
  await flush();
  ctx.advance(1000);
  assert.equal(ctx.initiator.opened.length, 1, 'the second hold does not conflict again');
  assert.equal(ctx.hub.subscriberCount('k'), 1);
});

test('recover: last ids are cleared and held HTTP sessions refetch / retry', () => {
  const ctx = seqCtx();
  ctx.hub.setStage({ push: (i, d) => d(i), reset: () => ctx.seq.lastIds.clear() });
  ctx.seq.lastIds.set('c', '1');
  stream(ctx, seqHeaders('1'));
  lp(ctx, [['Grip-Channel', 'r']]);
  ctx.hub.recover();
  assert.equal(ctx.seq.lastIds.size, 0);
  for (let i = 0; i < 5; i++) ctx.advance(100);
  const uris = ctx.initiator.opened.map((s) => s.uri).sort();
  assert.deepEqual(uris, ['http://example.com/s/next', ORIGIN.request.uri]);
});

test('long-poll retry carries the client address so the proxy can apply X-Forwarded-For', () => {
  const ctx = seqCtx();
  const s = new FakeSession();
  const ins = instruct([['Grip-Hold', 'response'], ['Grip-Channel', 'a']]);
  const origin = { ...ORIGIN, peerAddress: '10.1.2.3' };
  const h = new ResponseHold(ctx, s, 'condure:x', ins, subsOf(ins), origin);
  h.resume = () => undefined;
  h.start();
  h.update('high');
  assert.equal(ctx.initiator.last().first?.peerAddress, '10.1.2.3');
});

test('gone link on a long-poll: POSTed when the hold ends (here: timeout), resolved against the request URI', () => {
  const ctx = seqCtx();
  lp(ctx, [['Grip-Channel', 'gt'], ['Grip-Timeout', '5'], ['Grip-Link', '<gone?id=7>; rel=gone']]);
  assert.equal(ctx.initiator.opened.length, 0);
  ctx.advance(5100);
  const rq = ctx.initiator.last();
  assert.equal(rq.first?.method, 'POST');
  assert.equal(rq.uri, 'http://example.com/s/gone?id=7');
});
