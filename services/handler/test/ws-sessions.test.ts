// GRIP WebSocket sessions in the handler: WS-control items in, hub subscriptions, items out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishItem, WsMessageFormat } from '@pushpin-ts/grip';
import { decodeWsControlPacket, encodeWsControlPacket, type WsControlItem } from '@pushpin-ts/zhttp';
import { WsSessions } from '../src/ws/index.js';
import { testCtx } from './helpers/fakes.js';

function setup(max = 10) {
  const ctx = testCtx();
  const out: WsControlItem[] = [];
  const ws = new WsSessions({
    hub: ctx.hub, wheel: ctx.wheel, log: ctx.log, instanceId: 'pushpin-handler_1', connectionSubscriptionMax: max,
    output: (frame) => out.push(...decodeWsControlPacket(frame).items),
  });
  const feed = (...items: WsControlItem[]) => ws.onFrames([encodeWsControlPacket({ from: 'pushpin-proxy_1', items })]);
  const grip = (cid: string, o: unknown) => feed({ cid, type: 'grip', message: Buffer.from(JSON.stringify(o)) });
  const flushed = async () => { await new Promise((r) => setImmediate(r)); const got = out.splice(0); return got; };
  return { ctx, ws, feed, grip, flushed };
}

const wsItem = (channel: string, f: Partial<WsMessageFormat>, meta: Record<string, string> = {}): PublishItem => ({
  channel, meta, noSeq: false, formats: { wsMessage: { action: 'send', type: 'text', content: Buffer.alloc(0), ...f } },
});

test('here registers the connection id; subscribe via control message (route prefix applied); publish becomes send', async () => {
  const { ctx, feed, grip, flushed } = setup();
  feed({ cid: 'c1', type: 'here', route: 'r', channelPrefix: 'pre-', ttl: 60 });
  assert.equal(ctx.hub.isConnected('c1'), true);
  grip('c1', { type: 'subscribe', channel: 'news' });
  assert.equal(ctx.hub.subscriberCount('pre-news'), 1);
  ctx.hub.publish([wsItem('pre-news', { content: Buffer.from('hi') })]);
  ctx.hub.publish([wsItem('pre-news', { type: 'binary', content: Buffer.from([0, 1]) })]);
  ctx.hub.publish([wsItem('pre-news', { action: 'close', code: 4000, reason: 'bye' })]);
  ctx.hub.publish([wsItem('other', { content: Buffer.from('not subscribed') })]);
  assert.deepEqual(await flushed(), [
    { cid: 'c1', type: 'send', contentType: 'text', message: Buffer.from('hi') },
    { cid: 'c1', type: 'send', contentType: 'binary', message: Buffer.from([0, 1]) },
    { cid: 'c1', type: 'close', code: 4000, reason: 'bye' },
  ]);
  grip('c1', { type: 'unsubscribe', channel: 'news' });
  assert.equal(ctx.hub.subscriberCount('pre-news'), 0);
});

test('control messages: detach, keep-alive, too many filters, invalid ones ignored', async () => {
  const { feed, grip, flushed } = setup();
  feed({ cid: 'c1', type: 'here', ttl: 60 });
  grip('c1', { type: 'detach' });
  grip('c1', { type: 'keep-alive', content: 'KA', timeout: 2, mode: 'interval' });
  grip('c1', { type: 'keep-alive' });
  grip('c1', { type: 'subscribe', channel: 'x', filters: ['a', 'b', 'c', 'd', 'e', 'f'] });
  feed({ cid: 'c1', type: 'grip', message: Buffer.from('{not json') });
  grip('c1', { type: 'nonsense' });
  grip('c1', { channel: 'no type' });
  assert.deepEqual(await flushed(), [
    { cid: 'c1', type: 'detach' },
    { cid: 'c1', type: 'keep-alive-setup', contentType: 'text', message: Buffer.from('KA'), timeout: 2, keepAliveMode: 'interval' },
    { cid: 'c1', type: 'keep-alive-setup' },
    { cid: 'c1', type: 'close', code: 1011 },
  ]);
});

test('set-meta feeds delivery filters (skip-self)', async () => {
  const { ctx, feed, grip, flushed } = setup();
  for (const [cid, user] of [['a', 'alice'], ['b', 'bob']]) {
    feed({ cid: cid!, type: 'here', ttl: 60 });
    grip(cid!, { type: 'set-meta', name: 'user', value: user });
    grip(cid!, { type: 'subscribe', channel: 'room', filters: ['skip-self'] });
  }
  ctx.hub.publish([wsItem('room', { content: Buffer.from('from alice') }, { sender: 'alice' })]);
  assert.deepEqual((await flushed()).map((i) => i.cid), ['b']);
  grip('a', { type: 'set-meta', name: 'user', value: null });
  ctx.hub.publish([wsItem('room', { content: Buffer.from('again') }, { sender: 'alice' })]);
  assert.deepEqual((await flushed()).map((i) => i.cid).sort(), ['a', 'b']);
});

test('implicit sub= channels cannot be unsubscribed; subscription max applies to control subscribes', async () => {
  const { ctx, feed, grip } = setup(1);
  feed({ cid: 'c1', type: 'here', ttl: 60 }, { cid: 'c1', type: 'subscribe', channel: 'implicit' });
  grip('c1', { type: 'unsubscribe', channel: 'implicit' });
  assert.equal(ctx.hub.subscriberCount('implicit'), 1);
  grip('c1', { type: 'subscribe', channel: 'over-the-limit' });
  assert.equal(ctx.hub.subscriberCount('over-the-limit'), 0);
});

test('unknown sessions get cancel; sessions expire without refresh; gone forgets', async () => {
  const { ctx, ws, feed, grip, flushed } = setup();
  feed({ cid: 'nope', type: 'keep-alive', ttl: 60 });
  grip('nope2', { type: 'subscribe', channel: 'x' });
  assert.deepEqual(await flushed(), [{ cid: 'nope', type: 'cancel' }, { cid: 'nope2', type: 'cancel' }]);
  feed({ cid: 'c1', type: 'here', ttl: 10 }, { cid: 'c2', type: 'here', ttl: 10 });
  grip('c1', { type: 'subscribe', channel: 'ch' });
  ctx.advance(8000);
  feed({ cid: 'c1', type: 'keep-alive', ttl: 10 });
  ctx.advance(4000);
  assert.equal(ctx.hub.isConnected('c1'), true);
  assert.equal(ctx.hub.isConnected('c2'), false, 'c2 should have expired');
  feed({ cid: 'c1', type: 'gone' });
  assert.equal(ctx.hub.isConnected('c1'), false);
  assert.equal(ctx.hub.subscriberCount('ch'), 0);
  assert.equal(ws.size, 0);
});

test('send-delayed: sent after the timeout; a newer one flushes the pending one; flush-delayed', async () => {
  const { ctx, feed, grip, flushed } = setup();
  feed({ cid: 'c1', type: 'here', ttl: 60 });
  grip('c1', { type: 'send-delayed', content: 'one', timeout: 2 });
  assert.deepEqual(await flushed(), []);
  grip('c1', { type: 'send-delayed', content: 'two', timeout: 2 });
  assert.deepEqual((await flushed()).map((i) => i.message?.toString()), ['one']);
  ctx.advance(2200);
  assert.deepEqual(await flushed(), [{ cid: 'c1', type: 'send', contentType: 'text', message: Buffer.from('two'), queue: true }]);
  grip('c1', { type: 'send-delayed', content: 'three', timeout: 30 });
  grip('c1', { type: 'flush-delayed' });
  assert.deepEqual((await flushed()).map((i) => i.message?.toString()), ['three']);
});

test('need-keep-alive (Pushpin 1.36\'s proxy runs the timer): answered with the content while keep-alives are on', async () => {
  const { feed, grip, flushed } = setup();
  feed({ cid: 'c1', type: 'here', ttl: 60 });
  feed({ cid: 'c1', type: 'need-keep-alive' });
  assert.deepEqual(await flushed(), [], 'no keep-alive set up yet');
  grip('c1', { type: 'keep-alive', 'content-bin': Buffer.from([1, 2]).toString('base64'), 'message-type': 'binary', timeout: 1 });
  await flushed();
  feed({ cid: 'c1', type: 'need-keep-alive' });
  assert.deepEqual(await flushed(), [{ cid: 'c1', type: 'send', contentType: 'binary', message: Buffer.from([1, 2]) }]);
  grip('c1', { type: 'keep-alive' });
  await flushed();
  feed({ cid: 'c1', type: 'need-keep-alive' });
  feed({ cid: 'nobody', type: 'need-keep-alive' });
  assert.deepEqual(await flushed(), [{ cid: 'nobody', type: 'cancel' }]);
});

test('malformed packets from the proxy are ignored', async () => {
  const { ws, flushed } = setup();
  ws.onFrames([Buffer.from('garbage')]);
  ws.onFrames([]);
  ws.onFrames([Buffer.from('12:4:from,1:p,}')]);
  assert.deepEqual(await flushed(), []);
  assert.equal(ws.size, 0);
});

test('refresh command: by connection id or by channel, ws sessions ask the proxy for a refresh', async () => {
  const { ctx, feed, grip, flushed } = setup();
  feed({ cid: 'c1', type: 'here', ttl: 60 }, { cid: 'c2', type: 'here', ttl: 60 });
  grip('c2', { type: 'subscribe', channel: 'rch' });
  assert.equal(ctx.hub.refresh({ cid: 'c1' }), true);
  assert.equal(ctx.hub.refresh({ cid: 'unknown' }), false);
  ctx.hub.refresh({ channel: 'rch' });
  ctx.hub.publish([wsItem('rch', { action: 'refresh' })]);
  assert.deepEqual(await flushed(), [{ cid: 'c1', type: 'refresh' }, { cid: 'c2', type: 'refresh' }, { cid: 'c2', type: 'refresh' }]);
});
