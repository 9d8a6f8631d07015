// The handler's SUB on the proxy's stats socket (architecture.md §3.4 proxy_stats_spec):
// packets are decoded, merged into the handler's own stats and its request_received metric;
// malformed ones are one warning each and the socket keeps reading.
import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { decodeMap, encode, toPlain } from '@pushpin-ts/tnetstring';
import { Receiver, Sender } from '@pushpin-ts/zhttp';
import { decodeStatsPacket, PROXY_STATS_MALFORMED, startPublishInputs } from '../src/inputs/index.js';
import { captureLog, config, endpoint, FakeHub, freePort, sleep, tmpDir, waitFor, withTimeout } from './inputs-helpers.js';

const T = (type: string, fields: Record<string, string | number>): Buffer => Buffer.concat([Buffer.from(`${type} T`), encode(fields)]);

describe('decodeStatsPacket', () => {
  const ok: Array<[string | Buffer, string, Record<string, unknown>]> = [
    [T('activity', { count: 2, from: 'p' }), 'activity', { count: 2, from: 'p' }],
    ['counts J{"requests-received":3,"from":"p"}', 'counts', { 'requests-received': 3, from: 'p' }],
    [T('conn', { id: 'condure:1', ttl: 120 }), 'conn', { id: 'condure:1', ttl: 120 }],
  ];
  for (const [frame, type, fields] of ok) {
    test(`decodes ${JSON.stringify(frame.toString().slice(0, 20))}`, () => {
      assert.deepEqual(decodeStatsPacket(Buffer.from(frame)), { ok: true, type, fields });
    });
  }
  const bad: Array<[string, string]> = [
    ['', 'no type'],
    ['activity', 'no type'],
    [' T0:}', 'no type'],
    ['a\x01b T0:}', 'no type'],
    ['activity X{}', 'unknown payload format'],
    ['activity ', 'unknown payload format'],
    ['activity T3:abc', 'tnetstring parse failed'],
    ['activity T3:abc,', 'tnetstring parse failed'],
    ['activity J{nope', 'json parse failed'],
    ['activity J[1]', 'payload is not a map'],
    ['activity Jnull', 'payload is not a map'],
  ];
  for (const [frame, error] of bad) {
    test(`refuses ${JSON.stringify(frame)} (${error})`, () => {
      assert.deepEqual(decodeStatsPacket(Buffer.from(frame, 'latin1')), { ok: false, error });
    });
  }
});

function scrape(port: number): Promise<string> {
  return withTimeout(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  }), 3000, 'metrics scrape');
}

describe('proxy stats input', () => {
  test('merges activity, counts and report into the handler stats and request_received; skips malformed packets', async () => {
    const cap = captureLog();
    const dir = tmpDir();
    const proxySpec = await endpoint('ipc', dir, 'proxy-stats');
    const statsSpec = await endpoint('ipc', dir, 'stats');
    const promPort = await freePort();
    // the test plays the proxy: it binds the PUB, the handler connects its SUB
    const proxy = new Sender('pub', { specs: [proxySpec], bind: true }, cap.log);
    await proxy.start();
    const inputs = await startPublishInputs({
      config: config({ proxy_stats_spec: proxySpec, stats_spec: statsSpec, stats_report_interval: '1', prometheus_port: `127.0.0.1:${promPort}` }),
      hub: new FakeHub(), log: cap.log, instanceId: 'pushpin-handler_7',
    });
    const out = new Receiver('sub', { specs: [statsSpec], bind: false }, cap.log);
    const got: Array<{ type: string; fields: Record<string, unknown> }> = [];
    out.onMessage = (frames) => {
      const f = frames[0]!;
      const sp = f.indexOf(0x20);
      got.push({ type: f.subarray(0, sp).toString(), fields: toPlain(decodeMap(f.subarray(sp + 2))) as Record<string, unknown> });
    };
    out.subscribe('');
    await out.start();
    try {
      await sleep(300); // slow joiners on both SUB sockets
      const malformed = ['garbage', 'activity Xfoo', 'activity T3:abc', 'counts J[1]'];
      for (const m of malformed) proxy.send(Buffer.from(m));
      proxy.send([Buffer.from('counts'), Buffer.from('T0:}')]);
      proxy.send(T('bogus', { from: 'pushpin-proxy_9' }));
      proxy.send(T('activity', { count: 2, from: 'pushpin-proxy_9' }));
      proxy.send(T('counts', { 'requests-received': 3, from: 'pushpin-proxy_9' }));
      proxy.send(Buffer.from('counts J{"requests-received":2,"from":"pushpin-proxy_9"}'));
      proxy.send(T('report', { connections: 4, 'client-header-bytes-received': 100, duration: 999, from: 'pushpin-proxy_9' }));

      await waitFor(() => got.some((p) => p.type === 'counts'), 3000, 'counts re-emitted by the handler');
      const sumOf = (type: string, key: string): number => got.filter((p) => p.type === type).reduce((n, p) => n + Number(p.fields[key]), 0);
      await waitFor(() => sumOf('counts', 'requests-received') === 5, 2000, 'all counts');
      assert.equal(sumOf('activity', 'count'), 2);
      for (const p of got) assert.equal(p.fields['from'], 'pushpin-handler_7', 'the handler re-emits as itself');

      await waitFor(() => got.some((p) => p.type === 'report' && p.fields['client-header-bytes-received'] === 100), 3000, 'report with the proxy counters');
      const report = got.find((p) => p.type === 'report' && p.fields['client-header-bytes-received'] === 100)!.fields;
      assert.equal(report['connections'], 4);

      const warns = cap.lines.filter((l) => l['code'] === PROXY_STATS_MALFORMED);
      assert.equal(warns.length, malformed.length + 1, 'one warning per malformed packet (and the multipart one)');
      for (const w of warns) assert.equal(w['level'], 40);
      assert.ok(cap.messages().includes('IN proxy stats: malformed packet (tnetstring parse failed), skipping'));
      assert.ok(cap.messages().includes('IN proxy stats: received message with parts != 1, skipping'));

      const metrics = await scrape(promPort);
      assert.match(metrics, /^request_received 5$/m);
    } finally {
      out.close();
      inputs.close();
      proxy.close();
    }
  });

  test('with a @ spec (--proxy-bind) the handler binds; a bind conflict is a start-up error', async () => {
    const cap = captureLog();
    const spec = await endpoint('tcp', tmpDir(), 'ps');
    const first = await startPublishInputs({ config: config({ proxy_stats_spec: `@${spec}` }), hub: new FakeHub(), log: cap.log, instanceId: 'h' });
    try {
      await assert.rejects(
        startPublishInputs({ config: config({ proxy_stats_spec: `@${spec}` }), hub: new FakeHub(), log: cap.log, instanceId: 'h' }),
        (err: Error & { code?: string }) => err.code === 'PP_ERR_HANDLER_INPUT_START' && err.message.includes('proxy stats'),
      );
    } finally {
      first.close();
    }
  });
});
