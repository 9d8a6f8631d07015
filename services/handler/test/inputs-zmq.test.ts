// ZeroMQ publish inputs (publish.md §7): PULL with J/T/plain items, SUB with channel
// override and XPUB subscription forwarding. Runs over ipc and tcp.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { encode, type TnMap } from '@pushpin-ts/tnetstring';
import { Sender } from '@pushpin-ts/zhttp';
import { startPublishInputs, type PublishInputs } from '../src/inputs/index.js';
import { captureLog, config, endpoint, FakeHub, sleep, tmpDir, waitFor, withTimeout, zmq, type ZSocket } from './inputs-helpers.js';

const item = (ch: string, content: string): TnMap => ({ channel: ch, formats: { 'http-stream': { content } } });

for (const proto of ['ipc', 'tcp'] as const) {
  describe(`PULL input over ${proto}`, () => {
    const hub = new FakeHub();
    const cap = captureLog();
    let inputs: PublishInputs;
    let push: Sender;

    before(async () => {
      const spec = await endpoint(proto, tmpDir(), 'pull');
      inputs = await startPublishInputs({ config: config({ push_in_spec: spec }), hub, log: cap.log, instanceId: 'h' });
      push = new Sender('push', { specs: [spec], bind: false }, cap.log);
      await push.start();
    });
    after(() => { push.close(); inputs.close(); });

    test('J, T and plain tnetstring items are all delivered, in order', async () => {
      const n = hub.items.length;
      push.send(Buffer.from('J' + JSON.stringify(item('p', 'json\n'))));
      push.send(Buffer.concat([Buffer.from('T'), encode(item('p', 'tnet\n'))]));
      push.send(encode(item('p', 'plain\n')));
      await waitFor(() => hub.items.length === n + 3, 3000, 'three items');
      assert.deepEqual(hub.items.slice(n).map((i) => i.formats.httpStream?.content.toString()), ['json\n', 'tnet\n', 'plain\n']);
    });

    test('tnetstring items may carry binary content', async () => {
      const n = hub.items.length;
      const bin = Buffer.from([0, 1, 2, 0xff]);
      push.send(encode({ channel: 'b', formats: { 'ws-message': { 'content-bin': bin } } }));
      await waitFor(() => hub.items.length === n + 1, 3000, 'binary item');
      assert.deepEqual(hub.items.at(-1)!.formats.wsMessage?.content, bin);
    });

    test('multipart, garbage and invalid items are logged and skipped; later items still arrive', async () => {
      const n = hub.items.length;
      push.send([Buffer.from('J{}'), Buffer.from('J{}')]);
      push.send(Buffer.from('garbage'));
      push.send(Buffer.from('T12:garbage'));
      push.send(Buffer.from('J\xff\xfe', 'latin1'));
      push.send(Buffer.from('J{not json'));
      push.send(Buffer.from('J[1,2]'));
      push.send(Buffer.from('J' + JSON.stringify({ formats: { 'http-stream': { content: 'x' } } })));
      push.send(Buffer.alloc(0));
      push.send(Buffer.from('J' + JSON.stringify(item('p', 'after\n'))));
      await waitFor(() => hub.items.length === n + 1, 3000, 'the valid item');
      assert.equal(hub.items.at(-1)!.formats.httpStream?.content.toString(), 'after\n');
      const msgs = cap.messages();
      for (const expected of [
        'IN pull: received message with parts != 1, skipping',
        'IN pull: received message with invalid format (tnetstring parse failed), skipping',
        'IN pull: received message with invalid format (json parse failed), skipping',
        'IN pull: received message with invalid format (not a valid json object), skipping',
        "IN pull: received message with invalid format: publish item object does not contain 'channel', skipping",
      ]) assert.ok(msgs.includes(expected), `missing log line ${expected}`);
      const warn = cap.lines.find((l) => l['msg'] === 'IN pull: received message with parts != 1, skipping');
      assert.equal(warn?.['level'], 40, 'logged as a warning');
    });
  });

  describe(`SUB input over ${proto}`, () => {
    const hub = new FakeHub();
    const cap = captureLog();
    let inputs: PublishInputs;
    let xpub: ZSocket;
    const nextSubscription = async (): Promise<string> => {
      const [frame] = await withTimeout(xpub.receive(), 3000, 'XPUB subscription message');
      return `${frame![0] === 1 ? '+' : frame![0] === 0 ? '-' : '?'}${frame!.subarray(1).toString()}`;
    };

    before(async () => {
      hub.chans.add('pre');
      const spec = await endpoint(proto, tmpDir(), 'sub');
      inputs = await startPublishInputs({ config: config({ push_in_sub_specs: spec }), hub, log: cap.log, instanceId: 'h' });
      xpub = new zmq.XPublisher({ linger: 0, sendTimeout: 1000 });
      xpub.connect(spec);
    });
    after(() => { xpub.close(); inputs.close(); });

    test('channels present at start are subscribed', async () => {
      assert.equal(await nextSubscription(), '+pre');
    });

    test('hub channel events subscribe and unsubscribe; items go only to subscribed channels', async () => {
      hub.addChannel('foo');
      assert.equal(await nextSubscription(), '+foo');
      hub.addChannel('foo'); // a repeated event must not subscribe twice
      const n = hub.items.length;
      await xpub.send(['bar', 'J' + JSON.stringify(item('bar', 'not for us\n'))]);
      await xpub.send(['foo', 'J' + JSON.stringify(item('ignored-channel', 'via sub\n'))]);
      await waitFor(() => hub.items.length === n + 1, 3000, 'the foo item');
      const got = hub.items.at(-1)!;
      assert.equal(got.channel, 'foo', 'part 1 overrides the item channel');
      assert.equal(got.formats.httpStream?.content.toString(), 'via sub\n');

      await xpub.send(['foo', Buffer.concat([Buffer.from('T'), encode({ formats: { 'http-stream': { content: 't' } } })])]);
      await xpub.send(['foo', encode({ formats: { 'http-stream': { content: 'plain' } } })]);
      await waitFor(() => hub.items.length === n + 3, 3000, 'T and plain items');
      assert.deepEqual(hub.items.slice(n).map((i) => i.channel), ['foo', 'foo', 'foo']);

      hub.removeChannel('foo');
      assert.equal(await nextSubscription(), '-foo');
      await sleep(100);
      await xpub.send(['foo', 'J' + JSON.stringify(item('foo', 'late\n'))]);
      await sleep(300);
      assert.equal(hub.items.length, n + 3, 'nothing delivered after unsubscribe');
    });

    test('wrong part counts and bad items are skipped', async () => {
      hub.addChannel('w');
      assert.equal(await nextSubscription(), '+w');
      const n = hub.items.length;
      await xpub.send(['w', 'J{}', 'extra']);
      await xpub.send(['w', 'Jnope']);
      await xpub.send(['w', 'T5:abc']);
      await xpub.send(['w', '3:abc,']);
      await xpub.send(['w', 'J' + JSON.stringify({ formats: {} })]);
      await xpub.send(['w', 'J' + JSON.stringify({ formats: { 'http-stream': { content: 'ok' } } })]);
      await waitFor(() => hub.items.length === n + 1, 3000, 'the valid item');
      const msgs = cap.messages();
      assert.ok(msgs.includes('IN sub: received message with parts != 2, skipping'));
      assert.ok(msgs.includes('IN sub: received message with invalid format (json parse failed), skipping'));
      assert.equal(msgs.filter((m) => m === 'IN sub: received message with invalid format (tnetstring parse failed), skipping').length, 1);
      assert.ok(msgs.includes('IN sub: received message with invalid format: publish item object is not an object, skipping'));
      assert.ok(msgs.includes('IN sub: received message with invalid format: no formats specified, skipping'));
    });

    test('after close, hub events are ignored', async () => {
      const x = await startPublishInputs({ config: config({ push_in_sub_specs: await endpoint(proto, tmpDir(), 'sub2') }), hub, log: cap.log, instanceId: 'h' });
      x.close();
      hub.addChannel('after-close');
      hub.removeChannel('after-close');
    });
  });
}

describe('SUB input with push_in_sub_connect', () => {
  test('the handler connects to a binding XPUB publisher and forwards subscriptions', async () => {
    const hub = new FakeHub();
    const cap = captureLog();
    const spec = await endpoint('tcp', tmpDir(), 'x');
    const xpub = new zmq.XPublisher({ linger: 0 });
    await xpub.bind(spec);
    const inputs = await startPublishInputs({ config: config({ push_in_sub_specs: spec, push_in_sub_connect: 'true' }), hub, log: cap.log, instanceId: 'h' });
    try {
      hub.addChannel('cc');
      const [frame] = await withTimeout(xpub.receive(), 3000, 'subscription');
      assert.equal(frame!.toString('latin1'), '\x01cc');
      await sleep(50);
      await xpub.send(['cc', 'J' + JSON.stringify({ formats: { 'ws-message': { content: 'hi' } } })]);
      await waitFor(() => hub.items.length === 1, 3000, 'item');
      assert.equal(hub.items[0]!.channel, 'cc');
    } finally {
      inputs.close();
      xpub.close();
    }
  });

  test('a bind conflict rejects with a coded error naming the socket', async () => {
    const cap = captureLog();
    const spec = await endpoint('tcp', tmpDir(), 'x');
    const first = await startPublishInputs({ config: config({ push_in_spec: spec }), hub: new FakeHub(), log: cap.log, instanceId: 'h' });
    try {
      await assert.rejects(
        startPublishInputs({ config: config({ push_in_spec: spec }), hub: new FakeHub(), log: cap.log, instanceId: 'h' }),
        (err: Error & { code?: string }) => err.code === 'PP_ERR_HANDLER_INPUT_START' && err.message.includes('PULL'),
      );
    } finally {
      first.close();
    }
  });
});
