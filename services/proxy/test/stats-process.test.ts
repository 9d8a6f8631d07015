// The real proxy's stats PUB socket (activity, counts, report towards the handler) and its
// Prometheus endpoint, with a fake connection manager sending requests to the test target.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { decodeMap, toPlain } from '@pushpin-ts/tnetstring';
import { Receiver } from '@pushpin-ts/zhttp';
import { clientRequest, fakeCondure, makeEnv, quiet, sleep, startProxy, within, type Env, type ProxyProc } from './helpers.js';

interface StatsPacket { type: string; fields: Record<string, unknown> }

let env: Env;
let proxy: ProxyProc;
let condure: Awaited<ReturnType<typeof fakeCondure>>;
let sub: Receiver;
let metricsPort = 0;
const packets: StatsPacket[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

function scrape(port: number): Promise<{ status: number; type: string; body: string }> {
  return within(new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  }), 5000, 'metrics scrape');
}

async function waitPackets(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(packets)}`);
    await sleep(20);
  }
}

const sum = (type: string, key: string): number =>
  packets.filter((p) => p.type === type).reduce((n, p) => n + (typeof p.fields[key] === 'number' ? (p.fields[key] as number) : 0), 0);

before(async () => {
  metricsPort = await freePort();
  env = makeEnv('*,path_beg=/other/ test\n*,id=main test\n', `prometheus_port=127.0.0.1:${metricsPort}\nprometheus_prefix=pp_\nstats_report_interval=1`);
  sub = new Receiver('sub', { specs: [env.spec('proxy-stats')], bind: false }, quiet);
  sub.subscribe('');
  sub.onMessage = (frames) => {
    const f = frames[0]!;
    const sp = f.indexOf(0x20);
    assert.equal(String.fromCharCode(f[sp + 1]!), 'T', 'tnetstring payload');
    packets.push({ type: f.subarray(0, sp).toString(), fields: toPlain(decodeMap(f.subarray(sp + 2))) as Record<string, unknown> });
  };
  await sub.start();
  condure = await fakeCondure(env);
  proxy = await startProxy(env);
});

after(async () => {
  await proxy?.stop();
  condure?.close();
  sub?.close();
  if (env) (await import('node:fs')).rmSync(env.dir, { recursive: true, force: true });
});

test('client requests become activity and counts packets from the proxy, then a report', async () => {
  const paths = ['/', '/nope', '/other/'];
  const results = await Promise.all(paths.map((p) => within(clientRequest(condure.init, { uri: `http://example.test${p}` }).done, 5000, p)));
  assert.deepEqual(results.map((r) => r.code), [200, 404, 200]);
  await waitPackets(() => sum('counts', 'requests-received') >= 3, 3000, 'counts packets');
  assert.equal(sum('counts', 'requests-received'), 3);
  assert.equal(sum('activity', 'count'), 3);
  const id = `pushpin-proxy_${proxy.child.pid}`;
  for (const p of packets) assert.equal(p.fields['from'], id, `${p.type} from`);
  await waitPackets(() => packets.some((p) => p.type === 'report' && (p.fields['client-header-bytes-received'] as number) > 0), 3000, 'a report with the requests');
  const report = packets.find((p) => p.type === 'report' && (p.fields['client-header-bytes-received'] as number) > 0)!.fields;
  assert.ok((report['connections'] as number) >= 1, 'connections counted');
  assert.ok((report['client-header-bytes-received'] as number) > 3 * 30, 'header bytes for three requests');
  assert.equal(typeof report['duration'], 'number');
});

test('the Prometheus endpoint counts requests in all, per route and per status class', async () => {
  const m = await scrape(metricsPort);
  assert.equal(m.status, 200);
  assert.match(m.type, /^text\/plain; version=0\.0\.4/);
  const lines = m.body.split('\n');
  assert.ok(lines.includes('pp_request_received 3'), m.body);
  assert.ok(lines.includes('pp_route_request_received{route="main"} 2'), m.body);
  assert.ok(lines.includes('pp_route_request_received{route="*,*,*,/other/"} 1'), m.body);
  assert.ok(lines.includes('pp_request_response{class="2xx"} 2'), m.body);
  assert.ok(lines.includes('pp_request_response{class="4xx"} 1'), m.body);
  assert.ok(lines.includes('pp_connection_open 0'), m.body);
  assert.ok(lines.includes('# TYPE pp_connection_open gauge'), m.body);
});

test('an open request shows in connection_open', async () => {
  // a body still coming keeps the session open in the proxy
  const c = clientRequest(condure.init, { method: 'POST', uri: 'http://example.test/', body: Buffer.from('x'), more: true });
  try {
    const deadline = Date.now() + 3000;
    let body = '';
    while (Date.now() < deadline) {
      body = (await scrape(metricsPort)).body;
      if (body.includes('pp_connection_open 1\n')) break;
      await sleep(50);
    }
    assert.match(body, /^pp_connection_open 1$/m);
  } finally {
    c.session.cancel();
  }
});
