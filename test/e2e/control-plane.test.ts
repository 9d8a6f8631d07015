// The control plane through the real processes: a streaming client gets items from every
// publish input (HTTP, ZeroMQ PUSH, an XPUB the handler's SUB connects to, the command
// socket); every command answers; the handler's stats socket carries conn/sub/message/
// activity/counts/report (the proxy's stats merged in); both Prometheus endpoints count;
// and the real `pushpin-publish` works against the shipped config and fails fast when
// nothing listens.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as zmq from 'zeromq';
import WebSocket from 'ws';
import { decodeMap, encode, toPlain, type TnValue } from '@pushpin-ts/tnetstring';
import { freeOffset, freePort, openStream, publish, repoRoot, request, sleep, startRunner, waitPort, type Running, until } from '../helpers/index.js';

interface StatsPacket { type: string; fields: Record<string, unknown> }

const item = (channel: string, content: string) => ({ channel, formats: { 'http-stream': { content } } });

/** Polls `pred` every 25 ms; throws naming `what` after `ms`. */

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => { clearTimeout(t); resolve(body); });
    });
    const t = setTimeout(() => req.destroy(new Error(`scrape of :${port} timed out`)), 5000);
    req.on('error', (e) => { clearTimeout(t); reject(e); });
  });
}

/** The value of one sample (`name` or `name{labels}`) in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    const sp = line.lastIndexOf(' ');
    if (sp > 0 && line.slice(0, sp) === series) return Number(line.slice(sp + 1));
  }
  return undefined;
}

interface CliResult { code: number | null; stdout: string; stderr: string; ms: number }

/** Runs the installed `pushpin-publish` with `args`; kills it (and fails) after `limitMs`. */
function pushpinPublish(args: string[], env: Record<string, string>, limitMs: number): Promise<CliResult> {
  const t0 = Date.now();
  const child = spawn(path.join(repoRoot, 'node_modules', '.bin', 'pushpin-publish'), args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone */ }
      reject(new Error(`pushpin-publish ${args.join(' ')} still running after ${limitMs} ms (stderr ${JSON.stringify(stderr)})`));
    }, limitMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

describe('control plane on a configured runner', () => {
  let r: Running;
  let handlerProm = 0;
  let proxyProm = 0;
  let xpub: zmq.XPublisher;
  let statsSub: zmq.Subscriber;
  /** Subscription messages the XPUB saw, as `+channel` / `-channel`. */
  const subscriptions: string[] = [];
  const packets: StatsPacket[] = [];
  /** Stats frames that are not `<type> T<tnetstring>` (stats_format is tnetstring). */
  const notTnet: string[] = [];
  const handlerIdRe = /^pushpin-handler_\d+$/;

  /** One request on a fresh REQ socket to the command socket; the decoded reply. */
  async function command(req: Record<string, TnValue>): Promise<Record<string, unknown>> {
    const sock = new zmq.Request({ linger: 0, receiveTimeout: 5000, sendTimeout: 5000 });
    sock.connect(`tcp://127.0.0.1:${r.commandPort}`);
    try {
      await sock.send(encode(req));
      const [reply] = await sock.receive();
      return toPlain(decodeMap(reply!)) as Record<string, unknown>;
    } finally {
      sock.close();
    }
  }

  /** The cid of the newest held connection announced on the stats socket after `from` packets. */
  async function nextConnId(from: number): Promise<string> {
    let cid: string | undefined;
    await until(() => {
      cid = packets.slice(from).find((p) => p.type === 'conn' && p.fields['unavailable'] === undefined)?.fields['id'] as string | undefined;
      return cid !== undefined;
    }, 5000, 'a conn stats packet');
    return cid!;
  }

  before(async () => {
    [handlerProm, proxyProm] = [await freePort(), await freePort()];
    r = await startRunner({
      routes: ['* test'],
      extra: {
        handler: { push_in_sub_connect: true, stats_report_interval: 1, prometheus_port: `127.0.0.1:${handlerProm}`, prometheus_prefix: 'pushpin_' },
        proxy: { stats_report_interval: 1, prometheus_port: `127.0.0.1:${proxyProm}`, prometheus_prefix: 'pushpin_' },
      },
    });
    // push_in_sub_connect: the publisher binds (the runner's port offset applies to the spec)
    xpub = new zmq.XPublisher({ linger: 0, sendTimeout: 2000 });
    await xpub.bind(`tcp://127.0.0.1:${r.subPort}`);
    void (async () => {
      try {
        for await (const [f] of xpub) subscriptions.push(`${f![0] === 1 ? '+' : f![0] === 0 ? '-' : '?'}${f!.subarray(1).toString()}`);
      } catch { /* closed */ }
    })();
    statsSub = new zmq.Subscriber({ linger: 0 });
    statsSub.connect(`ipc://${path.join(r.dir, 'run')}/pushpin-stats`);
    statsSub.subscribe();
    void (async () => {
      try {
        for await (const [f] of statsSub) {
          const sp = f!.indexOf(0x20);
          if (sp <= 0 || f![sp + 1] !== 0x54) { notTnet.push(f!.toString('latin1')); continue; }
          packets.push({ type: f!.subarray(0, sp).toString(), fields: toPlain(decodeMap(f!.subarray(sp + 2))) as Record<string, unknown> });
        }
      } catch { /* closed */ }
    })();
    await sleep(500); // the handler's SUB connects to the XPUB, ours to the stats PUB
  });

  after(async () => {
    xpub?.close();
    statsSub?.close();
    await r?.stop();
  });

  test('a streaming client receives items from HTTP, PULL, SUB (XPUB) and the command socket', async () => {
    const s = await openStream(r.httpPort, '/stream?channel=cp');
    try {
      assert.equal(s.status, 200);
      await s.waitFor('[stream opened]\n');
      await until(() => subscriptions.includes('+cp'), 5000, 'the XPUB to see \\x01cp');

      await publish(r, [item('cp', 'via-http\n')]);
      await s.waitFor('via-http\n');

      const push = new zmq.Push({ linger: 500, sendTimeout: 2000 });
      push.connect(`tcp://127.0.0.1:${r.pushPort}`);
      try {
        await push.send(`J${JSON.stringify(item('cp', 'via-pull\n'))}`);
        await s.waitFor('via-pull\n');
      } finally {
        push.close();
      }

      // the channel comes from part 1; the item needs none
      await xpub.send(['cp', `J${JSON.stringify({ formats: { 'http-stream': { content: 'via-sub\n' } } })}`]);
      await s.waitFor('via-sub\n');

      const reply = await command({ id: 'pub', method: 'publish', args: { items: [item('cp', 'via-command\n')] } });
      assert.deepEqual(reply, { id: 'pub', success: true, value: null });
      await s.waitFor('via-command\n');
      assert.equal(s.text(), '[stream opened]\nvia-http\nvia-pull\nvia-sub\nvia-command\n');
    } finally {
      s.close();
    }
    // a stream channel is unsubscribed as soon as its last subscriber leaves
    await until(() => subscriptions.includes('-cp'), 5000, 'the XPUB to see \\x00cp');
    assert.deepEqual(subscriptions.filter((x) => x.endsWith('cp')), ['+cp', '-cp']);
  });

  test('every command answers: get-zmq-uris, conncheck, recover, refresh, publish, unknown', async () => {
    assert.deepEqual(await command({ id: 'u', method: 'get-zmq-uris' }), {
      id: 'u', success: true,
      // publish-sub is left out: with push_in_sub_connect the publisher binds
      value: { command: `tcp://127.0.0.1:${r.commandPort}`, 'publish-pull': `tcp://127.0.0.1:${r.pushPort}` },
    });

    const mark = packets.length;
    const s = await openStream(r.httpPort, '/stream?channel=cmd');
    try {
      await s.waitFor('[stream opened]\n');
      const cid = await nextConnId(mark);
      assert.match(cid, /^condure:/);
      assert.deepEqual(await command({ id: 'c', method: 'conncheck', args: { ids: [cid, 'condure:no-such-id'] } }), { id: 'c', success: true, value: [cid] });
      assert.deepEqual(await command({ id: 'c2', method: 'conncheck', args: { ids: 'x' } }), { id: 'c2', success: false, condition: 'bad-request' });

      assert.deepEqual(await command({ id: 'r', method: 'recover' }), { id: 'r', success: true, value: null });
      assert.deepEqual(await command({ id: 'f1', method: 'refresh', args: { channel: 'cmd' } }), { id: 'f1', success: true, value: null });
      assert.deepEqual(await command({ id: 'f2', method: 'refresh', args: { cid: 'condure:no-such-id' } }), { id: 'f2', success: false, condition: 'item-not-found' });
      assert.deepEqual(await command({ id: 'f3', method: 'refresh', args: {} }), { id: 'f3', success: false, condition: 'bad-request' });

      assert.deepEqual(await command({ id: 'p1', method: 'publish', args: { items: [item('cmd', 'after-recover\n')] } }), { id: 'p1', success: true, value: null });
      await s.waitFor('after-recover\n');
      assert.deepEqual(await command({ id: 'p2', method: 'publish', args: { items: [{ formats: {} }] } }), {
        id: 'p2', success: false, condition: 'bad-request', value: "Invalid format: publish item object does not contain 'channel'",
      });
      assert.deepEqual(await command({ id: 'x', method: 'no-such-method' }), { id: 'x', success: false, condition: 'method-not-found' });

      s.close();
      await until(async () => {
        const v = await command({ method: 'conncheck', args: { ids: [cid] } });
        return Array.isArray(v['value']) && (v['value'] as unknown[]).length === 0;
      }, 5000, 'conncheck to drop the closed connection');
    } finally {
      s.close();
    }
  });

  test('the stats socket carries conn, sub, message, activity, counts and report packets', async () => {
    const from = (p: StatsPacket) => String(p.fields['from']);
    assert.deepEqual(notTnet, []);
    const conn = packets.find((p) => p.type === 'conn' && p.fields['unavailable'] === undefined);
    assert.ok(conn, 'a conn packet');
    assert.match(from(conn), handlerIdRe);
    assert.match(String(conn.fields['id']), /^condure:/);
    assert.equal(conn.fields['type'], 'http');
    assert.equal(conn.fields['ttl'], 120);
    assert.ok(packets.some((p) => p.type === 'conn' && p.fields['id'] === conn.fields['id'] && p.fields['unavailable'] === true), 'conn unavailable on disconnect');

    const sub = packets.find((p) => p.type === 'sub' && p.fields['channel'] === 'cp' && p.fields['unavailable'] === undefined);
    assert.ok(sub, 'a sub packet for cp');
    assert.deepEqual({ ...sub.fields, from: undefined }, { channel: 'cp', mode: 'stream', subscribers: 1, ttl: 60, from: undefined });
    assert.ok(packets.some((p) => p.type === 'sub' && p.fields['channel'] === 'cp' && p.fields['unavailable'] === true), 'sub unavailable');

    const messages = packets.filter((p) => p.type === 'message' && p.fields['channel'] === 'cp');
    assert.equal(messages.length, 4, 'one message packet per published item');
    for (const m of messages) {
      assert.equal(m.fields['count'], 1);
      assert.equal(m.fields['transport'], 'http-stream');
      assert.match(from(m), handlerIdRe);
    }

    // the proxy's activity and counts (flushed ≤ 1 s after a request), merged and re-emitted
    // by the handler as its own: GET / (start-up probe, maybe repeated) and two /stream clients
    const sum = (type: string, key: string) => packets.filter((p) => p.type === type).reduce((n, p) => n + Number(p.fields[key] ?? 0), 0);
    await until(() => sum('counts', 'requests-received') >= 3 && sum('activity', 'count') >= 3, 4000, 'counts and activity for three requests');
    for (const p of packets.filter((x) => x.type === 'activity' || x.type === 'counts')) assert.match(from(p), handlerIdRe);

    await until(() => packets.some((p) => p.type === 'report' && Number(p.fields['client-header-bytes-received']) > 0), 4000, 'a report with the proxy counters');
    const reports = packets.filter((p) => p.type === 'report');
    for (const rep of reports) {
      assert.match(from(rep), handlerIdRe);
      for (const k of ['connections', 'minutes', 'received', 'sent', 'http-response-sent', 'duration', 'client-header-bytes-received', 'client-content-bytes-sent', 'server-messages-sent']) {
        assert.equal(typeof rep.fields[k], 'number', `report.${k}`);
      }
    }
    assert.ok(reports.reduce((n, p) => n + Number(p.fields['received']), 0) >= 5, 'items received are reported');
    assert.ok(reports.reduce((n, p) => n + Number(p.fields['sent']), 0) >= 5, 'deliveries are reported');
  });

  test('conn packets carry the client address', () => {
    const conn = packets.find((p) => p.type === 'conn' && p.fields['unavailable'] === undefined);
    assert.equal(conn?.fields['peer-address'], '127.0.0.1');
  });

  test('handler and proxy /metrics count requests, messages and routes', async () => {
    const h0 = await scrape(handlerProm);
    const p0 = await scrape(proxyProm);
    for (const name of ['request_received', 'connection_connected', 'connection_minute', 'message_received', 'message_sent']) {
      assert.notEqual(sample(h0, `pushpin_${name}`), undefined, `handler pushpin_${name}\n${h0}`);
    }
    assert.ok(sample(h0, 'pushpin_message_received')! >= 5, h0);
    for (const input of ['http', 'pull', 'sub', 'command']) assert.ok(sample(h0, `pushpin_message_received_input{input="${input}"}`)! >= 1, `${input}\n${h0}`);
    const route = 'pushpin_route_request_received{route="*,*,*,*"}';
    assert.ok(sample(p0, route)! >= 3, p0);
    assert.notEqual(sample(p0, 'pushpin_connection_open'), undefined, p0);

    // one more held client and one publish: every counter moves by exactly that
    const s = await openStream(r.httpPort, '/stream?channel=m');
    try {
      await s.waitFor('[stream opened]\n');
      await publish(r, [item('m', 'metered\n')]);
      await s.waitFor('metered\n');
      await until(async () => {
        const h = await scrape(handlerProm);
        return sample(h, 'pushpin_request_received')! > sample(h0, 'pushpin_request_received')!;
      }, 4000, 'handler request_received to move (proxy counts)');
      const h1 = await scrape(handlerProm);
      const p1 = await scrape(proxyProm);
      assert.equal(sample(h1, 'pushpin_message_received'), sample(h0, 'pushpin_message_received')! + 1);
      assert.equal(sample(h1, 'pushpin_message_received_input{input="http"}'), sample(h0, 'pushpin_message_received_input{input="http"}')! + 1);
      assert.equal(sample(h1, 'pushpin_message_sent'), sample(h0, 'pushpin_message_sent')! + 1);
      assert.equal(sample(h1, 'pushpin_connection_connected'), sample(h0, 'pushpin_connection_connected')! + 1);
      assert.equal(sample(h1, 'pushpin_request_received'), sample(h0, 'pushpin_request_received')! + 1);
      assert.equal(sample(p1, 'pushpin_request_received'), sample(p0, 'pushpin_request_received')! + 1);
      assert.equal(sample(p1, route), sample(p0, route)! + 1);
      assert.equal(sample(p1, 'pushpin_request_response{class="2xx"}'), (sample(p0, 'pushpin_request_response{class="2xx"}') ?? 0) + 1);
    } finally {
      s.close();
    }
    const res = await request(r.httpPort, { path: '/nope' });
    assert.equal(res.status, 404);
    await until(async () => sample(await scrape(proxyProm), 'pushpin_request_response{class="4xx"}') === (sample(p0, 'pushpin_request_response{class="4xx"}') ?? 0) + 1, 3000, '4xx to move');
  });

  test('as in Pushpin, plain requests and WebSockets are reported too: HTTP by condure id, WebSockets by a connection id, once', async () => {
    // each connection comes from its own loopback address, so its packets are told apart from
    // those of earlier tests' requests, which may still arrive
    // (an unavailable packet names only the id: it is matched to the opening packet's id)
    const start = packets.length;
    const from = (addr: string) => () => {
      const conns = packets.slice(start).filter((p) => p.type === 'conn');
      const ids = new Set(conns.filter((p) => p.fields['peer-address'] === addr).map((p) => String(p.fields['id'])));
      return conns.filter((p) => ids.has(String(p.fields['id'])));
    };
    const plain = from('127.0.0.2');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: r.httpPort, path: '/', localAddress: '127.0.0.2', agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      req.on('error', reject);
    });
    assert.equal(status, 200);
    await until(() => plain().some((p) => p.fields['unavailable'] === true), 5000, 'conn unavailable for the plain request');
    const opened = plain().filter((p) => p.fields['unavailable'] === undefined);
    assert.equal(opened.length, 1, JSON.stringify(opened.map((p) => p.fields)));
    assert.match(String(opened[0]!.fields['id']), /^condure:/);
    assert.equal(opened[0]!.fields['type'], 'http');
    assert.match(String(opened[0]!.fields['from']), handlerIdRe);

    const viaWs = from('127.0.0.3');
    const ws = new WebSocket(`ws://127.0.0.1:${r.httpPort}/ws`, { localAddress: '127.0.0.3' });
    await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    ws.send('hi');
    await new Promise((resolve) => ws.once('message', resolve));
    ws.close();
    await until(() => viaWs().some((p) => p.fields['unavailable'] === true), 10_000, 'conn unavailable for the WebSocket');
    const wsConns = viaWs().filter((p) => p.fields['unavailable'] === undefined);
    assert.equal(wsConns.length, 1, JSON.stringify(wsConns.map((p) => p.fields)));
    assert.match(String(wsConns[0]!.fields['id']), /^[0-9a-f]{8}-[0-9a-f]{4}-/);
    assert.equal(wsConns[0]!.fields['type'], 'ws');
  });
});

describe('pushpin-publish on the shipped config', () => {
  let dir = '';
  let proc: ReturnType<typeof spawn> | undefined;
  let httpPort = 0;
  let publishPort = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-e2e-default-'));
    const offset = await freeOffset();
    httpPort = await freePort();
    publishPort = 5561 + offset;
    const out = fs.openSync(path.join(dir, 'runner.out'), 'a');
    // config/pushpin.conf and config/routes (`* test`) as shipped; only ports and dirs moved
    proc = spawn(path.join(repoRoot, 'node_modules', '.bin', 'pushpin-runner'), [
      '--config', path.join(repoRoot, 'config', 'pushpin.conf'), `--port=127.0.0.1:${httpPort}`,
      `--set=global.port_offset=${offset}`, `--set=global.rundir=${path.join(dir, 'run')}`, `--set=runner.logdir=${path.join(dir, 'log')}`,
    ], { cwd: dir, stdio: ['ignore', out, out], detached: true });
    await Promise.all([waitPort(httpPort, 20000), waitPort(publishPort, 20000)]);
    await until(async () => (await request(httpPort, { path: '/', timeout: 2000 }).catch(() => undefined))?.status === 200, 15000, 'GET / through every tier');
  });

  after(async () => {
    const p = proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise<void>((res) => p.once('exit', () => res()));
      try { process.kill(p.pid!, 'SIGTERM'); } catch { /* gone */ }
      const t = setTimeout(() => { try { process.kill(-p.pid!, 'SIGKILL'); } catch { /* gone */ } }, 6000);
      await gone;
      clearTimeout(t);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('`pushpin-publish test "hello"` reaches a client on GET /stream', async () => {
    const s = await openStream(httpPort, '/stream');
    try {
      await s.waitFor('[stream opened]\n');
      await sleep(200);
      const res = await pushpinPublish(['test', 'hello'], { GRIP_URL: `http://127.0.0.1:${publishPort}` }, 15000);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'Published\n');
      await s.waitFor('hello\n');
      assert.equal(s.text(), '[stream opened]\nhello\n');
    } finally {
      s.close();
    }
  });

  test('pushpin-publish exits non-zero with a clear message, without hanging, when nothing listens', async () => {
    const port = await freePort();
    const viaHttp = await pushpinPublish(['test', 'hello'], { GRIP_URL: `http://127.0.0.1:${port}` }, 15000);
    assert.equal(viaHttp.code, 1);
    assert.equal(viaHttp.stdout, '');
    assert.equal(viaHttp.stderr, `Error: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    assert.ok(viaHttp.ms < 5000, `took ${viaHttp.ms} ms`);

    const spec = `tcp://127.0.0.1:${await freePort()}`;
    const viaZmq = await pushpinPublish(['--spec', spec, 'test', 'hello'], {}, 15000);
    assert.equal(viaZmq.code, 1);
    assert.equal(viaZmq.stderr, `Error: nothing is listening at ${spec}\n`);
    assert.ok(viaZmq.ms < 8000, `took ${viaZmq.ms} ms (ZeroMQ timeout is 3 s)`);
  });

});
