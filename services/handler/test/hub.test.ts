// The hub: format routing, delivery order, filters, channel events and linger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PublishItem } from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem, Subscriber, SubscriberMode } from '../src/hub.js';
import { testCtx } from './helpers/fakes.js';

class Rec implements Subscriber {
  readonly subs = new Map<string, ChannelSub>();
  readonly channelNames = new Set<string>();
  got: string[] = [];
  segs: Buffer[] = [];
  constructor(readonly cid: string, readonly mode: SubscriberMode, channels: Array<[string, string[]]>, readonly meta: Record<string, string> = {}) {
    for (const [c, f] of channels) { this.subs.set(c, { channel: c, filters: f }); this.channelNames.add(c); }
  }
  deliver(p: PreparedItem, s: ChannelSub): void {
    const f = p.item.formats;
    this.got.push(`${s.channel}:${f.httpResponse?.body?.toString() ?? f.httpStream?.content.toString() ?? f.wsMessage?.content.toString()}`);
    if (this.mode === 'stream') this.segs.push(p.streamSegment);
  }
}

const item = (channel: string, text: string, meta: Record<string, string> = {}, which: Array<'r' | 's' | 'w'> = ['r', 's', 'w']): PublishItem => ({
  channel, meta, noSeq: false,
  formats: {
    ...(which.includes('r') ? { httpResponse: { action: 'send' as const, code: 200, reason: 'OK', headers: [], body: Buffer.from(text) } } : {}),
    ...(which.includes('s') ? { httpStream: { action: 'send' as const, content: Buffer.from(text) } } : {}),
    ...(which.includes('w') ? { wsMessage: { action: 'send' as const, type: 'text' as const, content: Buffer.from(text) } } : {}),
  },
});

function join(hub: ReturnType<typeof testCtx>['hub'], s: Rec) { hub.addConnection(s); for (const c of s.subs.keys()) hub.subscribe(s, c); }

test('each subscriber gets the format of its transport, items in order; missing format = nothing', () => {
  const { hub } = testCtx();
  const r = new Rec('c:r', 'response', [['a', []]]);
  const s = new Rec('c:s', 'stream', [['a', []]]);
  const w = new Rec('c:w', 'ws', [['a', []]]);
  [r, s, w].forEach((x) => join(hub, x));
  hub.publish([item('a', '1'), item('a', '2', {}, ['s']), item('b', 'other'), item('a', '3', {}, ['r', 'w'])]);
  assert.deepEqual(r.got, ['a:1', 'a:3']);
  assert.deepEqual(s.got, ['a:1', 'a:2']);
  assert.deepEqual(w.got, ['a:1', 'a:3']);
  assert.equal(hub.connectionCount(), 3);
  assert.equal(hub.isConnected('c:s'), true);
  assert.equal(hub.isConnected('c:x'), false);
});

test('the encoded stream body segment is built once per item and shared', () => {
  const { hub } = testCtx();
  const subs = Array.from({ length: 3 }, (_, i) => new Rec(`c:${i}`, 'stream', [['a', []]]));
  subs.forEach((x) => join(hub, x));
  hub.publish([item('a', 'shared', {}, ['s'])]);
  assert.ok(subs[0]!.segs[0] === subs[1]!.segs[0] && subs[1]!.segs[0] === subs[2]!.segs[0]);
});

test('delivery filters: skip-self, skip-users, require-sub', () => {
  const { hub } = testCtx();
  const alice = new Rec('c:1', 'stream', [['a', ['skip-self', 'skip-users']], ['b', []]], { user: 'alice' });
  const bob = new Rec('c:2', 'stream', [['a', ['skip-self', 'require-sub']]], { user: 'bob' });
  join(hub, alice); join(hub, bob);
  hub.publish([
    item('a', 'from-alice', { sender: 'alice' }),
    item('a', 'skip-bob', { skip_users: 'carol, bob' }),
    item('a', 'skip-alice', { skip_users: 'alice' }),
    item('a', 'need-b', { require_sub: 'b' }),
  ]);
  assert.deepEqual(alice.got, ['a:skip-bob', 'a:need-b']);
  assert.deepEqual(bob.got, ['a:from-alice', 'a:skip-bob', 'a:skip-alice'], 'no skip-users filter; require-sub drops need-b');
});

test('channel events: added on first subscriber, removed on last; response channels linger', () => {
  const ctx = testCtx({ linger: 60 });
  const { hub } = ctx;
  const events: string[] = [];
  hub.onChannelAdded((c) => events.push(`+${c}`));
  hub.onChannelRemoved((c) => events.push(`-${c}`));
  const s1 = new Rec('c:1', 'stream', [['st', []]]);
  const s2 = new Rec('c:2', 'stream', [['st', []]]);
  join(hub, s1); join(hub, s2);
  hub.removeConnection(s1);
  assert.deepEqual(events, ['+st']);
  hub.removeConnection(s2);
  assert.deepEqual(events, ['+st', '-st']);
  assert.deepEqual([...hub.channels()], []);

  const r = new Rec('c:3', 'response', [['lp', []]]);
  join(hub, r);
  hub.removeConnection(r);
  assert.deepEqual([...hub.channels()], ['lp'], 'lingering');
  ctx.advance(30_000);
  const r2 = new Rec('c:4', 'response', [['lp', []]]);
  join(hub, r2); // comes back within the linger: no new event
  hub.removeConnection(r2);
  ctx.advance(59_000);
  assert.deepEqual(events, ['+st', '-st', '+lp']);
  ctx.advance(1_200);
  assert.deepEqual(events, ['+st', '-st', '+lp', '-lp']);
  assert.deepEqual([...hub.channels()], []);
  assert.equal(hub.connectionCount(), 0);
});

test('a delivery stage sits in front of delivery', () => {
  const { hub } = testCtx();
  const s = new Rec('c:1', 'stream', [['a', []]]);
  join(hub, s);
  const held: PublishItem[] = [];
  hub.setStage({ push(it, deliver) { if (it.id === 'later') held.push(it); else { deliver(it); for (const h of held.splice(0)) deliver(h); } } });
  hub.publish([{ ...item('a', '2', {}, ['s']), id: 'later' }, item('a', '1', {}, ['s'])]);
  assert.deepEqual(s.got, ['a:1', 'a:2']);
});

test('a failing subscriber does not stop delivery to the others', () => {
  const { hub } = testCtx();
  const bad = new Rec('c:1', 'stream', [['a', []]]);
  bad.deliver = () => { throw new Error('boom'); };
  const good = new Rec('c:2', 'stream', [['a', []]]);
  join(hub, bad); join(hub, good);
  hub.publish([item('a', 'x', {}, ['s'])]);
  assert.deepEqual(good.got, ['a:x']);
});

test('fan-out plans follow subscription changes: joins, leaves, a replaced ChannelSub, filters added later', () => {
  const { hub } = testCtx();
  const a = new Rec('c:a', 'stream', [['ch', []]]);
  const b = new Rec('c:b', 'stream', [['ch', []]]);
  join(hub, a);
  hub.publish([item('ch', '1')]);
  join(hub, b);
  hub.publish([item('ch', '2')]);
  hub.unsubscribe(a, 'ch');
  hub.publish([item('ch', '3')]);
  assert.deepEqual(a.got, ['ch:1', 'ch:2']);
  assert.deepEqual(b.got, ['ch:2', 'ch:3']);
  // b replaces its subscription object (a next link's new instruct): deliveries carry the new one
  const seen: ChannelSub[] = [];
  const orig = b.deliver.bind(b);
  b.deliver = (p, s) => { seen.push(s); orig(p, s); };
  const replaced: ChannelSub = { channel: 'ch', filters: [] };
  b.subs.set('ch', replaced);
  hub.subscribe(b, 'ch');
  hub.publish([item('ch', '4')]);
  assert.equal(seen.at(-1), replaced);
  // and with a filter now, items are filtered per item meta (no cached plan)
  b.subs.set('ch', { channel: 'ch', filters: ['skip-self'] });
  hub.subscribe(b, 'ch');
  const user = new Rec('c:u', 'stream', [['ch', []]], { user: 'u1' });
  join(hub, user);
  hub.publish([item('ch', '5', { sender: 'x' }), item('ch', '6', { sender: 'x' })]);
  assert.deepEqual(user.got, ['ch:5', 'ch:6']);
  assert.equal(hub.subscriberCount('ch'), 2);
});
