// Stats PUB socket (publish.md §9): report on its own timer, sub/conn/message fed by the hub.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMap, toPlain } from '@pushpin-ts/tnetstring';
import { Receiver, Sender } from '@pushpin-ts/zhttp';
import { startPublishInputs } from '../src/inputs/index.js';
import { captureLog, config, endpoint, FakeHub, sleep, tmpDir, waitFor } from './inputs-helpers.js';

function parse(frame: Buffer): { type: string; fields: Record<string, unknown> } {
  const sp = frame.indexOf(0x20);
  const type = frame.subarray(0, sp).toString();
  const tag = frame[sp + 1];
  const payload = frame.subarray(sp + 2);
  const fields = tag === 0x4a ? JSON.parse(payload.toString()) as Record<string, unknown> : toPlain(decodeMap(payload)) as Record<string, unknown>;
  return { type, fields };
}

for (const format of ['json', 'tnetstring'] as const) {
  describe(`stats socket (${format})`, () => {
    test('report packets every stats_report_interval, and hub-fed sub/conn/message packets', async () => {
      const cap = captureLog();
      const hub = new FakeHub();
      hub.connected.add('condure:1');
      hub.connected.add('condure:2');
      const dir = tmpDir();
      const statsSpec = await endpoint('ipc', dir, 'stats');
      const pullSpec = await endpoint('ipc', dir, 'pull');
      const inputs = await startPublishInputs({
        config: config({ stats_spec: statsSpec, stats_format: format, stats_report_interval: '1', push_in_spec: pullSpec }),
        hub, log: cap.log, instanceId: 'pushpin-handler_test',
      });
      const sub = new Receiver('sub', { specs: [statsSpec], bind: false }, cap.log);
      const got: Array<{ type: string; fields: Record<string, unknown> }> = [];
      sub.onMessage = (frames) => got.push(parse(frames[0]!));
      sub.subscribe('');
      await sub.start();
      const push = new Sender('push', { specs: [pullSpec], bind: false }, cap.log);
      await push.start();
      try {
        await sleep(200); // slow joiner
        push.send(Buffer.from('J{"channel":"s","formats":{"http-stream":{"content":"x"}}}'));
        await waitFor(() => hub.items.length === 1, 3000, 'item');
        const stats = inputs.stats!;
        stats.subscription('stream', 'foo', 1);
        stats.connection('condure:1', { type: 'http', peerAddress: '127.0.0.1' });
        stats.message('foo', '5', 'http-stream', 1);
        stats.unsubscription('stream', 'foo');
        stats.disconnection('condure:1');
        await waitFor(() => got.some((p) => p.type === 'report'), 3000, 'report packet');
        const report = got.find((p) => p.type === 'report')!.fields;
        assert.equal(report['from'], 'pushpin-handler_test');
        assert.equal(report['connections'], 2);
        assert.equal(report['received'], 1);
        assert.equal(report['sent'], 1);
        assert.equal(typeof report['duration'], 'number');
        assert.equal(report['client-content-bytes-sent'], 0);
        const rest = got.filter((p) => p.type !== 'report' && p.type !== 'activity');
        assert.deepEqual(rest, [
          { type: 'sub', fields: { channel: 'foo', from: 'pushpin-handler_test', mode: 'stream', subscribers: 1, ttl: 60 } },
          { type: 'conn', fields: { from: 'pushpin-handler_test', id: 'condure:1', 'peer-address': '127.0.0.1', ttl: 120, type: 'http' } },
          { type: 'message', fields: { channel: 'foo', count: 1, from: 'pushpin-handler_test', 'item-id': '5', transport: 'http-stream' } },
          { type: 'sub', fields: { channel: 'foo', from: 'pushpin-handler_test', mode: 'stream', unavailable: true } },
          { type: 'conn', fields: { from: 'pushpin-handler_test', id: 'condure:1', unavailable: true } },
        ]);
      } finally {
        push.close();
        sub.close();
        inputs.close();
      }
    });
  });
}
