// Hold logic with a fake ZHTTP session: long-poll merge/timeout, stream chunks/close/queue/keep-alive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInstruct, type PublishItem } from '@pushpin-ts/grip';
import { ResponseHold } from '../src/response-hold.js';
import { StreamHold, STREAM_QUEUE_MAX_ITEMS } from '../src/stream-hold.js';
import { FakeSession, recordingLog, testCtx } from './helpers/fakes.js';

function instruct(headers: Array<[string, string]>, body = 'held\n', code = 200, reason = 'OK') {
  return parseInstruct({ code, reason, headers, body: Buffer.from(body) });
}
const sub = (channel: string, filters: string[] = []) => ({ channel, filters });

function lp(headers: Array<[string, string]>, body?: string) {
  const ctx = testCtx();
  const s = new FakeSession();
  const ins = instruct([['Grip-Hold', 'response'], ...headers], body);
  const subs = ins.channels.map((c) => sub(c.name, c.filters));
  const h = new ResponseHold(ctx, s, 'condure:sess-1', ins, subs);
  h.start();
  return { ctx, s, h };
}

function httpResponse(channel: string, f: Partial<NonNullable<PublishItem['formats']['httpResponse']>>, meta: Record<string, string> = {}): PublishItem {
  return { channel, meta, noSeq: false, formats: { httpResponse: { action: 'send', code: 200, reason: 'OK', headers: [], ...f } } };
}
function httpStream(channel: string, content: string, action: 'send' | 'close' | 'hint' = 'send'): PublishItem {
  return { channel, meta: {}, noSeq: false, formats: { httpStream: { action, content: Buffer.from(content) } } };
}

test('long-poll: published response merges headers over the held response', () => {
  const { ctx, s } = lp([['Grip-Channel', 'a'], ['Content-Type', 'text/plain'], ['X-Timeout-Hdr', 'a'], ['X-Multi', '1'], ['X-Multi', '2'], ['Content-Length', '5']]);
  assert.equal(ctx.hub.subscriberCount('a'), 1);
  ctx.hub.publish([httpResponse('a', {
    code: 201, reason: 'Created',
    headers: [['X-Pub', '1'], ['content-type', 'application/json'], ['x-multi', '3'], ['Grip-Foo', 'x'], ['Content-Length', '99']],
    body: Buffer.from('{"a":1}\n'),
  })]);
  const r = s.sent.find((x) => x.kind === 'respond');
  assert.ok(r && r.kind === 'respond');
  assert.equal(r.head.code, 201);
  assert.equal(r.head.reason, 'Created');
  assert.deepEqual(r.head.headers, [['X-Timeout-Hdr', 'a'], ['X-Pub', '1'], ['content-type', 'application/json'], ['x-multi', '3']]);
  assert.equal(r.body, '{"a":1}\n');
  assert.equal(r.more, false);
  assert.equal(ctx.hub.subscriberCount('a'), 0, 'unsubscribed after delivery');
  assert.equal(ctx.hub.connectionCount(), 0);
  assert.equal(s.sent.at(-1)?.kind, 'destroy', 'session forgotten once sent');
  // a second publish reaches nobody
  ctx.hub.publish([httpResponse('a', { body: Buffer.from('again') })]);
  assert.equal(s.sent.filter((x) => x.kind === 'respond').length, 1);
});

test('long-poll: body-patch applies to the held body', () => {
  const { ctx, s } = lp([['Grip-Channel', 'p'], ['Content-Type', 'application/json']], '{"n":1,"x":"y"}\n');
  ctx.hub.publish([httpResponse('p', { bodyPatch: [{ op: 'replace', path: '/n', value: 2 }, { op: 'remove', path: '/x' }] })]);
  assert.equal(s.text(), '{"n":2}\n');
});

test('long-poll: Grip-Timeout serves the original response (Grip-Status applied), not before', () => {
  const { ctx, s } = lp([['Grip-Channel', 't'], ['Grip-Timeout', '7'], ['Grip-Status', '404 Nope'], ['X-Orig', 'yes']], 'original\n');
  ctx.advance(6900);
  assert.equal(s.sent.filter((x) => x.kind === 'respond').length, 0, 'too early');
  ctx.advance(200);
  const r = s.sent.find((x) => x.kind === 'respond');
  assert.ok(r && r.kind === 'respond', 'timeout response sent');
  assert.equal(r.head.code, 404);
  assert.equal(r.head.reason, 'Nope');
  assert.deepEqual(r.head.headers, [['X-Orig', 'yes']]);
  assert.equal(r.body, 'original\n');
  assert.equal(ctx.hub.subscriberCount('t'), 0);
  assert.equal(ctx.wheel.size, 0, 'no timers left');
});

test('long-poll: a publish cancels the timeout; formats other than http-response are ignored', () => {
  const { ctx, s } = lp([['Grip-Channel', 'f']]);
  ctx.hub.publish([httpStream('f', 'stream-only')]);
  assert.equal(s.sent.length, 0);
  ctx.hub.publish([httpResponse('f', { body: Buffer.from('x') })]);
  ctx.advance(120_000);
  assert.equal(s.sent.filter((x) => x.kind === 'respond').length, 1);
});

test('long-poll: hint without an internal request socket is logged, the hold continues', () => {
  const log = recordingLog();
  const ctx = testCtx({ log });
  const s = new FakeSession();
  const ins = instruct([['Grip-Hold', 'response'], ['Grip-Channel', 'h']]);
  new ResponseHold(ctx, s, 'c:1', ins, [sub('h')]).start();
  ctx.hub.publish([{ channel: 'h', meta: {}, noSeq: false, formats: { httpResponse: { action: 'hint', code: 200, reason: 'OK', headers: [] } } }]);
  assert.equal(s.sent.length, 0);
  assert.ok(log.lines.some((l) => /hint/.test(l.msg)));
  assert.equal(ctx.hub.subscriberCount('h'), 1);
});

test('long-poll: client cancel unsubscribes and stops the timer', () => {
  const { ctx, s } = lp([['Grip-Channel', 'a, b']]);
  assert.equal(ctx.hub.subscriberCount('a'), 1);
  assert.equal(ctx.hub.isConnected('condure:sess-1'), true);
  s.peerEnd('cancel');
  assert.equal(ctx.hub.subscriberCount('a'), 0);
  assert.equal(ctx.hub.subscriberCount('b'), 0);
  assert.equal(ctx.hub.isConnected('condure:sess-1'), false);
  assert.equal(ctx.wheel.size, 0);
  ctx.advance(60_000);
  assert.equal(s.sent.length, 0);
});

test('long-poll: skip-self delivery filter and var-subst content filter', () => {
  const ctx = testCtx();
  const s = new FakeSession();
  const ins = instruct([['Grip-Hold', 'response'], ['Grip-Channel', 'm; filter=skip-self; filter=var-subst'], ['Grip-Set-Meta', 'user="alice"']]);
  new ResponseHold(ctx, s, 'c:1', ins, [sub('m', ['skip-self', 'var-subst'])]).start();
  ctx.hub.publish([httpResponse('m', { body: Buffer.from('mine') }, { sender: 'alice' })]);
  assert.equal(s.sent.length, 0, 'own message skipped');
  ctx.hub.publish([httpResponse('m', { body: Buffer.from('hi %(user)s') }, { sender: 'bob' })]);
  assert.equal(s.text(), 'hi alice');
});

function streamHold(opts: { fast?: boolean; credits?: number; headers?: Array<[string, string]> } = {}) {
  const ctx = testCtx({ fast: opts.fast ?? false });
  const s = new FakeSession(opts.credits ?? 100_000);
  const ins = instruct([['Grip-Hold', 'stream'], ['Grip-Channel', 'st'], ['Content-Type', 'text/plain'], ...(opts.headers ?? [])], '[open]\n');
  const h = new StreamHold(ctx, s, 'condure:sess-1', ins, [sub('st')]);
  h.start(ins.response.body);
  return { ctx, s, h };
}

test('stream: initial response at once with more, then chunks in order, close ends it', () => {
  const { ctx, s } = streamHold();
  const first = s.sent[0];
  assert.ok(first && first.kind === 'respond');
  assert.equal(first.more, true);
  assert.equal(first.body, '[open]\n');
  assert.deepEqual(first.head.headers, [['Content-Type', 'text/plain']]);
  ctx.hub.publish([httpStream('st', 'one\n'), httpStream('st', 'two\n')]);
  ctx.hub.publish([httpStream('st', 'three\n')]);
  assert.equal(s.text(), '[open]\none\ntwo\nthree\n');
  ctx.hub.publish([httpStream('st', '', 'close')]);
  const last = s.sent.filter((x) => x.kind === 'data').at(-1);
  assert.deepEqual(last, { kind: 'data', body: '', more: false });
  assert.equal(s.sent.at(-1)?.kind, 'destroy');
  assert.equal(ctx.hub.subscriberCount('st'), 0);
  assert.equal(ctx.hub.connectionCount(), 0);
  ctx.hub.publish([httpStream('st', 'late\n')]);
  assert.equal(s.text(), '[open]\none\ntwo\nthree\n');
});

test('stream: items wait for credits, close comes after queued data', () => {
  const { ctx, s } = streamHold({ credits: 10 });
  assert.equal(s.text(), '[open]\n');
  ctx.hub.publish([httpStream('st', 'abcdefgh'), httpStream('st', 'ijk'), httpStream('st', '', 'close')]);
  assert.equal(s.text(), '[open]\nabc');
  assert.equal(ctx.hub.subscriberCount('st'), 1, 'close is processed in order');
  s.grant(4);
  assert.equal(s.text(), '[open]\nabcdefg');
  s.grant(100);
  assert.equal(ctx.hub.subscriberCount('st'), 0, 'close unsubscribes');
  assert.equal(s.text(), '[open]\nabcdefghijk');
  assert.deepEqual(s.sent.filter((x) => x.kind === 'data').at(-1), { kind: 'data', body: '', more: false });
  assert.equal(s.ended, true);
});

test('stream: queue bound drops items beyond 100 with a warning naming channel and connection', () => {
  const log = recordingLog();
  const ctx = testCtx({ log });
  const s = new FakeSession(0);
  const ins = instruct([['Grip-Hold', 'stream'], ['Grip-Channel', 'q']], '');
  new StreamHold(ctx, s, 'condure:q-1', ins, [sub('q')]).start(Buffer.alloc(0));
  const items = Array.from({ length: STREAM_QUEUE_MAX_ITEMS + 5 }, (_, i) => httpStream('q', `<${i}>`));
  ctx.hub.publish(items);
  const warn = log.lines.filter((l) => l.level === 'warn');
  assert.equal(warn.length, 1, 'one warning per overflow, not one per item');
  assert.deepEqual([(warn[0]!.obj as { channel: string }).channel, (warn[0]!.obj as { cid: string }).cid], ['q', 'condure:q-1']);
  s.grant(1_000_000);
  assert.ok(s.text().includes('<0>') && s.text().includes('<98>'));
  assert.ok(!s.text().includes('<104>'));
  ctx.hub.publish([httpStream('q', '<later>')]);
  assert.ok(log.lines.some((l) => l.level === 'warn' && ((l.obj as { dropped?: number }).dropped ?? 0) >= 4), 'the overflow is summed up once there is room again');
  assert.ok(s.text().endsWith('<later>'));
});

test('stream: fast path sends pre-encoded packets with the session seq and credits', () => {
  const { ctx, s } = streamHold({ fast: true, credits: 20 });
  const seq0 = s.outSeq;
  ctx.hub.publish([httpStream('st', 'hello\n'), httpStream('st', 'world\n')]);
  assert.equal(ctx.raw.length, 2);
  assert.deepEqual(ctx.raw.map((r) => [r.peer, r.packet.from, r.packet.id, r.packet.seq, r.packet.body?.toString(), r.packet.more]), [
    ['condure', 'pushpin-handler_1', 'sess-1', seq0, 'hello\n', true],
    ['condure', 'pushpin-handler_1', 'sess-1', seq0 + 1, 'world\n', true],
  ]);
  assert.equal(s.outSeq, seq0 + 2);
  assert.equal(s.credits, 20 - 7 - 12);
  // not enough credits: falls back to the session queue, which splits it
  ctx.hub.publish([httpStream('st', 'longer than one\n')]);
  assert.equal(ctx.raw.length, 2);
  assert.equal(s.text(), '[open]\nl', 'the one credit left is used by the session queue');
  s.grant(100);
  assert.equal(s.text(), '[open]\nlonger than one\n');
});

test('stream: client disconnect unsubscribes and stops keep-alives', () => {
  const { ctx, s } = streamHold({ headers: [['Grip-Keep-Alive', 'ka; timeout=5']] });
  assert.equal(ctx.wheel.size, 1);
  s.peerEnd('cancel');
  assert.equal(ctx.hub.subscriberCount('st'), 0);
  assert.equal(ctx.hub.isConnected('condure:sess-1'), false);
  assert.equal(ctx.wheel.size, 0);
});

test('stream: idle keep-alive is sent after the period without writes, postponed by writes', () => {
  const { ctx, s } = streamHold({ headers: [['Grip-Keep-Alive', 'KA\\n; format=cstring; timeout=3']] });
  ctx.advance(1900);
  assert.equal(s.text(), '[open]\n');
  ctx.advance(1200); // ~3 s idle
  assert.equal(s.text(), '[open]\nKA\n');
  ctx.advance(1500);
  ctx.hub.publish([httpStream('st', 'data\n')]);
  ctx.advance(1900); // < 3 s minus the 0-999 ms jitter after the write: not idle long enough
  assert.equal(s.text(), '[open]\nKA\ndata\n');
  ctx.advance(1200);
  assert.equal(s.text(), '[open]\nKA\ndata\nKA\n');
});

test('stream: interval keep-alive fires regardless of traffic', () => {
  const { ctx, s } = streamHold({ headers: [['Grip-Keep-Alive', 'K; timeout=2; mode=interval']] });
  for (let i = 0; i < 20; i++) { ctx.advance(100); ctx.hub.publish([httpStream('st', '.')]); }
  assert.equal((s.text().match(/K/g) ?? []).length, 1);
});
