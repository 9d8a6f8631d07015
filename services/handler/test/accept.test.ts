// handleAccept with fake adopted sessions: invalid instructs, hold none/response/stream, prefix, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAcceptResult, encodeAcceptArgs, type AcceptArgs, type AdoptOptions } from '@pushpin-ts/zhttp';
import type { TnMap } from '@pushpin-ts/tnetstring';
import { handleAccept, ownBuffer, type AcceptDeps } from '../src/accept.js';
import { FakeSession, recordingLog, testCtx } from './helpers/fakes.js';

function setup(max = 20) {
  const log = recordingLog();
  const ctx = testCtx({ log });
  const adopted: Array<{ o: AdoptOptions; s: FakeSession }> = [];
  const deps: AcceptDeps = {
    ...ctx,
    connectionSubscriptionMax: max,
    adopt(o) { const s = new FakeSession(o.credits, o.id, o.from); s.outSeq = o.outSeq; adopted.push({ o, s }); return s; },
  };
  return { ctx, deps, adopted, log };
}

function args(headers: Array<[string, string]>, body = 'body\n', extra: Partial<AcceptArgs> = {}, n = 1): TnMap {
  return encodeAcceptArgs({
    requests: Array.from({ length: n }, (_, i) => ({
      rid: { sender: 'condure', id: `0-0-${i}` }, https: false, debug: false, isRetry: false, autoCrossOrigin: false,
      inSeq: 2, outSeq: 2, outCredits: 8192, peerAddress: '127.0.0.1',
    })),
    requestData: { method: 'GET', uri: 'http://example/path', headers: [], body: Buffer.alloc(0) },
    response: { code: 200, reason: 'OK', headers, body: Buffer.from(body) },
    trusted: false,
    ...extra,
  }) as TnMap;
}

test('invalid instructions: accepted=false with the 502 the proxy sends, Pushpin message logged, nothing adopted', () => {
  for (const headers of [[['Grip-Hold', 'bogus']], [['Content-Type', 'application/grip-instruct']]] as Array<Array<[string, string]>>) {
    const { deps, adopted, log } = setup();
    const r = decodeAcceptResult(handleAccept(args(headers, '{not json'), deps));
    assert.equal(r.accepted, false);
    assert.equal(r.response?.code, 502);
    assert.equal(r.response?.reason, 'Bad Gateway');
    assert.deepEqual(r.response?.headers, [['Content-Type', 'text/plain']]);
    assert.equal(r.response?.body.toString(), 'Error while proxying to origin.\n');
    assert.equal(adopted.length, 0);
    assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg.startsWith('Failed to parse accept instructions: ')), JSON.stringify(log.lines));
  }
});

test('malformed arguments: bad-format condition', () => {
  const { deps } = setup();
  assert.throws(() => handleAccept({ requests: Buffer.from('x') } as unknown as TnMap, deps), (e: Error & { condition?: string }) => e.condition === 'bad-format');
});

test('adopt continues the proxy sequence and credits; keep-alive goes first', () => {
  const { deps, adopted } = setup();
  const r = decodeAcceptResult(handleAccept(args([['Grip-Hold', 'stream'], ['Grip-Channel', 'a']]), deps));
  assert.equal(r.accepted, true);
  assert.deepEqual(adopted[0]!.o, { from: 'condure', id: '0-0-0', inSeq: 2, outSeq: 2, credits: 8192 });
  assert.equal(adopted[0]!.s.sent[0]!.kind, 'keep-alive');
  assert.equal(adopted[0]!.s.sent[1]!.kind, 'respond');
});

test('no hold: the response is sent complete and the session forgotten', () => {
  const { ctx, deps, adopted } = setup();
  handleAccept(args([['Grip-Channel', 'ignored'], ['Grip-Status', '203'], ['X-A', 'b'], ['Content-Length', '5']]), deps);
  const s = adopted[0]!.s;
  assert.deepEqual(s.sent.map((x) => x.kind), ['keep-alive', 'respond', 'destroy']);
  const r = s.sent[1]!;
  assert.ok(r.kind === 'respond');
  assert.deepEqual(r.head, { code: 203, reason: 'Non-Authoritative Information', headers: [['X-A', 'b']] });
  assert.equal(r.body, 'body\n');
  assert.equal(r.more, false);
  assert.equal(ctx.hub.subscriberCount('ignored'), 0);
});

test('channel prefix applied, connection_subscription_max enforced, every request held', () => {
  const { ctx, deps, adopted } = setup(2);
  handleAccept(args([['Grip-Hold', 'response'], ['Grip-Channel', 'a, b, c']], 'x', { channelPrefix: 'pre-' }, 3), deps);
  assert.equal(adopted.length, 3);
  assert.equal(ctx.hub.subscriberCount('pre-a'), 3);
  assert.equal(ctx.hub.subscriberCount('pre-b'), 3);
  assert.equal(ctx.hub.subscriberCount('pre-c'), 0);
  assert.equal(ctx.hub.subscriberCount('a'), 0);
  assert.equal(ctx.hub.connectionCount(), 3);
  assert.equal(ctx.hub.isConnected('condure:0-0-2'), true);
});

test('stream with prev-id but no next link ends with 502', () => {
  const { ctx, deps, adopted } = setup();
  const r = decodeAcceptResult(handleAccept(args([['Grip-Hold', 'stream'], ['Grip-Channel', 'a; prev-id=1']]), deps));
  assert.equal(r.accepted, true);
  const resp = adopted[0]!.s.sent.find((x) => x.kind === 'respond');
  assert.ok(resp && resp.kind === 'respond');
  assert.equal(resp.head.code, 502);
  assert.equal(ctx.hub.subscriberCount('a'), 0);
});

test('re-accepting the same connection id replaces the old hold', () => {
  const { ctx, deps } = setup();
  handleAccept(args([['Grip-Hold', 'response'], ['Grip-Channel', 'old']]), deps);
  handleAccept(args([['Grip-Hold', 'response'], ['Grip-Channel', 'new']]), deps);
  assert.equal(ctx.hub.subscriberCount('old'), 0);
  assert.equal(ctx.hub.subscriberCount('new'), 1);
  assert.equal(ctx.hub.connectionCount(), 1);
  assert.equal(ctx.wheel.size, 1, 'old timeout cancelled');
});

test('ownBuffer: a view into a larger message is copied, a whole buffer kept, empty shared', () => {
  // a received ZeroMQ message has an ArrayBuffer of its own
  const message = Buffer.allocUnsafeSlow(16);
  message.write('0123456789abcdef');
  const view = message.subarray(4, 8);
  const own = ownBuffer(view);
  assert.notEqual(own.buffer, message.buffer);
  assert.equal(own.toString(), '4567');
  const whole = Buffer.allocUnsafeSlow(4).fill(1);
  assert.equal(ownBuffer(whole), whole);
  assert.equal(ownBuffer(message.subarray(0, 0)).length, 0);
  assert.equal(ownBuffer(message.subarray(0, 0)).buffer === message.buffer, false);
});
