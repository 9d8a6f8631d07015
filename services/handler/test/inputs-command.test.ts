// Command socket (publish.md §8) with REQ clients over ipc and tcp, plus one DEALER client;
// bad input (malformed tnetstrings, wrong types, oversized requests) is answered or logged
// and the socket keeps serving.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeMap, encode, toPlain, type TnMap, type TnValue } from '@pushpin-ts/tnetstring';
import { ZrpcClient, ZrpcRemoteError } from '@pushpin-ts/zhttp';
import {
  COMMAND_TOO_LARGE, HARD_LIMIT_FACTOR, startCommandServer, tnetSize, TOO_LARGE_MESSAGE, type CommandServer,
} from '../src/command/index.js';
import { startPublishInputs, type PublishInputs } from '../src/inputs/index.js';
import { captureLog, config, endpoint, FakeHub, sleep, tmpDir, waitFor, withTimeout, zmq } from './inputs-helpers.js';

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
        assert.deepEqual(r, { id: 'b', success: false, condition: 'bad-request' }, JSON.stringify(args));
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
      assert.deepEqual(await plain({ id: '4', method: 'refresh', args: { cid: 'nope' } }), { id: '4', success: false, condition: 'item-not-found' });
      assert.deepEqual(await plain({ method: 'refresh', args: { channel: 'room' } }), { success: true, value: null });
      assert.deepEqual(hub.refreshes.at(-1), { channel: 'room' });
      assert.deepEqual(await plain({ method: 'refresh', args: { cid: 'condure:9', channel: 'room' } }), { success: true, value: null });
      assert.deepEqual(hub.refreshes.at(-1), { cid: 'condure:9' }, 'cid wins');
      for (const args of [{}, { cid: 5 }, { channel: ['x'] }]) {
        assert.deepEqual(await plain({ method: 'refresh', args }), { success: false, condition: 'bad-request' }, JSON.stringify(args));
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
      assert.deepEqual(await plain({ id: '8', method: 'bogus' }), { id: '8', success: false, condition: 'method-not-found' });
      assert.deepEqual(await plain({ id: '9', method: 'report' }), { id: '9', success: false, condition: 'method-not-found' });
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

describe('command socket bad input', () => {
  const hub = new FakeHub();
  const cap = captureLog();
  let spec = '';
  let server: CommandServer;

  /** Sends one raw payload on a fresh REQ socket; the decoded reply, or undefined on no reply within `ms`. */
  async function raw(payload: Buffer, ms = 3000): Promise<Record<string, unknown> | undefined> {
    const sock = new zmq.Request({ linger: 0, receiveTimeout: ms, sendTimeout: 3000 });
    sock.connect(spec);
    try {
      await sock.send(payload);
      const [reply] = await sock.receive();
      return toPlain(decodeMap(reply!)) as Record<string, unknown>;
    } catch (err) {
      if ((err as { code?: string }).code === 'EAGAIN') return undefined;
      throw err;
    } finally {
      sock.close();
    }
  }
  const stillServing = async (): Promise<void> => {
    assert.deepEqual(await raw(encode({ id: 'ok', method: 'recover' })), { id: 'ok', success: true, value: null }, 'the socket keeps serving');
  };

  before(async () => {
    spec = await endpoint('tcp', tmpDir(), 'command');
    server = await startCommandServer(spec, { hub, uris: {}, log: cap.log, publish: (items) => hub.publish(items), maxRequestBytes: 2000 });
  });
  after(() => server.close());

  const malformed: Array<[string, Buffer]> = [
    ['not a tnetstring', Buffer.from('hello')],
    ['truncated tnetstring', Buffer.from('30:6:method,')],
    ['a T-prefixed request', Buffer.concat([Buffer.from('T'), encode({ method: 'recover' })])],
    ['not a map', encode(['recover'])],
    ['no method', encode({ id: 'x', args: {} })],
    ['a method that is not a string', encode({ method: 5 })],
    ['args that are not a map', encode({ method: 'publish', args: ['x'] })],
  ];
  for (const [what, payload] of malformed) {
    test(`${what} is answered bad-format and logged`, async () => {
      const n = cap.lines.length;
      assert.deepEqual(await raw(payload), { success: false, condition: 'bad-format' });
      const warn = cap.lines.slice(n).find((l) => l['msg'] === 'zrpc server: malformed request');
      assert.equal(warn?.['level'], 40, 'one warning');
      await stillServing();
    });
  }

  test('wrong argument types are bad-request; unknown methods method-not-found', async () => {
    assert.deepEqual(await raw(encode({ id: '1', method: 'conncheck', args: { ids: 7 } })), { id: '1', success: false, condition: 'bad-request' });
    assert.deepEqual(await raw(encode({ id: '2', method: 'refresh', args: { cid: ['a'] } })), { id: '2', success: false, condition: 'bad-request' });
    assert.deepEqual(await raw(encode({ id: '3', method: 'publish', args: { items: { a: 1 } } })),
      { id: '3', success: false, condition: 'bad-request', value: "Invalid format: object contains 'items' with wrong type" });
    assert.deepEqual(await raw(encode({ id: '4', method: 'Publish' })), { id: '4', success: false, condition: 'method-not-found' });
    await stillServing();
  });

  test('a request over the limit is refused with bad-request and a coded warning; nothing is published', async () => {
    const n = hub.items.length;
    const big = { id: 'big', method: 'publish', args: { items: [{ channel: 'c', formats: { 'http-stream': { content: Buffer.alloc(3000, 0x61) } } }] } };
    assert.deepEqual(await raw(encode(big)), { id: 'big', success: false, condition: 'bad-request', value: TOO_LARGE_MESSAGE });
    const warn = cap.lines.find((l) => l['code'] === COMMAND_TOO_LARGE);
    assert.equal(warn?.['level'], 40);
    assert.equal(warn?.['method'], 'publish');
    await sleep(50);
    assert.equal(hub.items.length, n);
    // just under the limit is fine
    const small = { id: 's', method: 'publish', args: { items: [{ channel: 'c', formats: { 'http-stream': { content: Buffer.alloc(1500, 0x61) } } }] } };
    assert.deepEqual(await raw(encode(small)), { id: 's', success: true, value: null });
    await stillServing();
  });

  test(`a message over ${HARD_LIMIT_FACTOR}× the limit is not received at all; the socket keeps serving`, async () => {
    const huge = encode({ id: 'h', method: 'recover', args: { pad: Buffer.alloc(2000 * HARD_LIMIT_FACTOR + 10) } });
    assert.equal(await raw(huge, 500), undefined, 'no reply: libzmq drops the connection');
    await stillServing();
  });

  test('tnetSize follows the encoded size', () => {
    for (const v of [{ a: 'x' }, { items: [{ channel: 'c', formats: { 'http-stream': { content: Buffer.alloc(100) } } }] }, ['a', 1, true, null]]) {
      const exact = encode(v).length;
      const est = tnetSize(v);
      assert.ok(Math.abs(est - exact) <= exact * 0.5 + 8, `${est} vs ${exact}`);
    }
  });
});
