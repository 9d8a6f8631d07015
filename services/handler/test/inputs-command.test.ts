// Command socket (publish.md §8) with REQ clients over ipc and tcp, plus one DEALER client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeMap, encode, toPlain, type TnMap, type TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcClient, ZrpcRemoteError } from '@pushpin-ts/zhttp';
import { startPublishInputs, type PublishInputs } from '../src/inputs/index.js';
import { captureLog, config, endpoint, FakeHub, tmpDir, waitFor, withTimeout, zmq } from './inputs-helpers.js';

for (const proto of ['ipc', 'tcp'] as const) {
  describe(`command socket over ${proto}`, () => {
    const hub = new FakeHub();
    const cap = captureLog();
    let inputs: PublishInputs;
    let spec = '';
    let pullSpec = '';
    let subSpec = '';

    /** One request on a fresh REQ socket; returns the decoded reply map. */
    async function call(req: Record<string, TnValue>): Promise<TnMap> {
      const sock = new zmq.Request({ linger: 0, receiveTimeout: 3000, sendTimeout: 3000 });
      sock.connect(spec);
      try {
        await sock.send(encode(req));
        const [reply] = await withTimeout(sock.receive(), 3500, 'command reply');
        return decodeMap(reply!);
      } finally {
        sock.close();
      }
    }
    const plain = async (req: Record<string, TnValue>): Promise<Record<string, unknown>> => toPlain(await call(req)) as Record<string, unknown>;

    before(async () => {
      const dir = tmpDir();
      spec = await endpoint(proto, dir, 'command');
      pullSpec = await endpoint(proto, dir, 'pull');
      subSpec = await endpoint(proto, dir, 'sub');
      inputs = await startPublishInputs({
        config: config({ command_spec: spec, push_in_spec: pullSpec, push_in_sub_specs: subSpec }),
        hub, log: cap.log, instanceId: 'h',
      });
    });
    after(() => inputs.close());

    test('get-zmq-uris lists the sockets and echoes the id', async () => {
      const r = await plain({ id: '1', method: 'get-zmq-uris' });
      assert.deepEqual(r, { id: '1', success: true, value: { command: spec, 'publish-pull': pullSpec, 'publish-sub': subSpec } });
    });

    test('conncheck returns the ids that are connected', async () => {
      hub.connected.add('condure:1-0-d');
      const r = await plain({ id: 'c', method: 'conncheck', args: { ids: ['condure:1-0-d', 'no-such-connection-id', 'condure:1-0-d'] } });
      assert.deepEqual(r, { id: 'c', success: true, value: ['condure:1-0-d'] });
      const none = await plain({ method: 'conncheck', args: { ids: [] } });
      assert.deepEqual(none, { success: true, value: [] });
    });

    test('conncheck without a list of byte strings is a bad-request', async () => {
      for (const args of [undefined, {}, { ids: 'x' }, { ids: ['a', 1] }, { ids: { a: 'b' } }]) {
        const req: Record<string, TnValue> = { id: 'b', method: 'conncheck' };
        if (args !== undefined) req['args'] = args;
        const r = await plain(req);
        assert.deepEqual(r, { id: 'b', success: false, condition: 'bad-request', value: null }, JSON.stringify(args));
      }
    });

    test('recover calls the hub and answers null', async () => {
      const n = hub.recovers;
      const r = await plain({ method: 'recover' });
      assert.deepEqual(r, { success: true, value: null });
      assert.equal(hub.recovers, n + 1);
    });

    test('refresh by cid or channel; unknown cid is item-not-found; neither is bad-request', async () => {
      hub.connected.add('condure:9');
      assert.deepEqual(await plain({ id: '2', method: 'refresh', args: { cid: 'condure:9' } }), { id: '2', success: true, value: null });
      assert.deepEqual(hub.refreshes.at(-1), { cid: 'condure:9' });
      assert.deepEqual(await plain({ id: '4', method: 'refresh', args: { cid: 'nope' } }), { id: '4', success: false, condition: 'item-not-found', value: null });
      assert.deepEqual(await plain({ method: 'refresh', args: { channel: 'room' } }), { success: true, value: null });
      assert.deepEqual(hub.refreshes.at(-1), { channel: 'room' });
      assert.deepEqual(await plain({ method: 'refresh', args: { cid: 'condure:9', channel: 'room' } }), { success: true, value: null });
      assert.deepEqual(hub.refreshes.at(-1), { cid: 'condure:9' }, 'cid wins');
      for (const args of [{}, { cid: 5 }, { channel: ['x'] }]) {
        assert.deepEqual(await plain({ method: 'refresh', args }), { success: false, condition: 'bad-request', value: null }, JSON.stringify(args));
      }
    });

    test('publish validates tnetstring items and hands them to the hub', async () => {
      const n = hub.items.length;
      const bin = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
      const r = await plain({ id: 'p', method: 'publish', args: { items: [
        { channel: 'cmd', formats: { 'http-stream': { content: bin } } },
        { channel: 'cmd2', id: '7', formats: { 'ws-message': { content: 'hi' } } },
      ] } });
      assert.deepEqual(r, { id: 'p', success: true, value: null });
      await waitFor(() => hub.items.length === n + 2, 2000, 'published items');
      assert.deepEqual(hub.items[n]!.formats.httpStream?.content, bin);
      assert.equal(hub.items[n + 1]!.id, '7');
    });

    test('publish errors are bad-request with the Invalid format text', async () => {
      const n = hub.items.length;
      const cases: Array<[TnMap | undefined, string]> = [
        [undefined, "Invalid format: object does not contain 'items'"],
        [{ items: 'x' }, "Invalid format: object contains 'items' with wrong type"],
        [{ items: [{ formats: { 'http-stream': { content: 'x' } } }] }, "Invalid format: publish item object does not contain 'channel'"],
        [{ items: [{ channel: 'ok', formats: { 'http-stream': { content: 'x' } } }, { channel: 'x', formats: {} }] }, 'Invalid format: no formats specified'],
      ];
      for (const [args, message] of cases) {
        const req: Record<string, TnValue> = { id: 'e', method: 'publish' };
        if (args) req['args'] = args;
        assert.deepEqual(await plain(req), { id: 'e', success: false, condition: 'bad-request', value: message });
      }
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(hub.items.length, n, 'nothing published');
    });

    test('unknown methods are method-not-found', async () => {
      assert.deepEqual(await plain({ id: '8', method: 'bogus' }), { id: '8', success: false, condition: 'method-not-found', value: null });
      assert.deepEqual(await plain({ id: '9', method: 'report' }), { id: '9', success: false, condition: 'method-not-found', value: null });
    });

    test('a DEALER client (ZrpcClient) works too', async () => {
      const c = new ZrpcClient([spec], false, cap.log);
      await c.start();
      try {
        const v = await c.call('get-zmq-uris', {}, 3000);
        assert.equal((toPlain(v) as Record<string, string>)['command'], spec);
        await assert.rejects(c.call('nope', {}, 3000), (e: unknown) => e instanceof ZrpcRemoteError && e.condition === 'method-not-found');
      } finally {
        c.close();
      }
    });
  });
}

describe('get-zmq-uris variants', () => {
  test('publish-sub is omitted with push_in_sub_connect; a * host becomes the command host', async () => {
    const cap = captureLog();
    const dir = tmpDir();
    const spec = await endpoint('tcp', dir, 'c');
    const pullPort = (await endpoint('tcp', dir, 'p')).split(':').at(-1);
    const subSpec = await endpoint('tcp', dir, 's');
    const xpub = new zmq.XPublisher({ linger: 0 });
    await xpub.bind(subSpec);
    const inputs = await startPublishInputs({
      config: config({ command_spec: spec, push_in_spec: `tcp://*:${pullPort}`, push_in_sub_specs: subSpec, push_in_sub_connect: 'true' }),
      hub: new FakeHub(), log: cap.log, instanceId: 'h',
    });
    const sock = new zmq.Request({ linger: 0, receiveTimeout: 3000, sendTimeout: 3000 });
    try {
      sock.connect(spec);
      await sock.send(encode({ method: 'get-zmq-uris' }));
      const [reply] = await withTimeout(sock.receive(), 3500, 'reply');
      assert.deepEqual(toPlain(decodeMap(reply!)), { success: true, value: { command: spec, 'publish-pull': `tcp://127.0.0.1:${pullPort}` } });
    } finally {
      sock.close();
      xpub.close();
      inputs.close();
    }
  });
});
