// The real pushpin-handler as a child process; the test plays condure, the proxy and a publisher.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Receiver, Sender, ZrpcClient, decodeWsControlPacket, encodeWsControlPacket, type WsControlItem } from '@pushpin-ts/zhttp';
import { encode as tnEncode } from '@pushpin-ts/tnetstring';
import { FakePeers, freePort, quiet, sleep, waitFor, type Client } from './helpers/fake-peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const serviceDir = path.resolve(here, '..', '..');
const repoRoot = path.resolve(serviceDir, '..', '..');
const hasInputs = fs.existsSync(path.join(serviceDir, 'dist', 'src', 'inputs', 'index.js'));

let dir: string;
let child: ChildProcess;
let output = '';
let peers: FakePeers;
let command: ZrpcClient;
let httpPort: number;
let exited: Promise<number | null>;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pushpin-handler-test-'));
  const rundir = path.join(dir, 'run');
  fs.mkdirSync(rundir);
  const [http, pull, sub, cmd] = [await freePort(), await freePort(), await freePort(), await freePort()];
  httpPort = http;
  fs.writeFileSync(path.join(dir, 'pushpin.conf'), [
    '[global]', `rundir=${rundir}`, 'ipc_prefix=t-',
    '[proxy]', 'condure_in_stream_specs=ipc://{rundir}/{ipc_prefix}condure-out-stream', 'condure_out_specs=ipc://{rundir}/{ipc_prefix}condure-in',
    '[handler]', 'proxy_accept_spec=ipc://{rundir}/{ipc_prefix}accept', 'proxy_inspect_spec=ipc://{rundir}/{ipc_prefix}inspect',
    'proxy_ws_control_in_spec=ipc://{rundir}/{ipc_prefix}ws-control-out', 'proxy_ws_control_out_spec=ipc://{rundir}/{ipc_prefix}ws-control-in',
    'push_in_http_addr=127.0.0.1', `push_in_http_port=${http}`, `push_in_spec=tcp://127.0.0.1:${pull}`,
    `push_in_sub_specs=tcp://127.0.0.1:${sub}`, `command_spec=tcp://127.0.0.1:${cmd}`, 'stats_spec=',
    'subscription_linger=1', '',
  ].join('\n'));
  peers = new FakePeers(rundir);
  await peers.start();
  child = spawn(process.execPath, [path.join(serviceDir, 'bin', 'pushpin-handler.js'), '--config', path.join(dir, 'pushpin.conf'), '--libdir', path.join(repoRoot, 'config'), '--loglevel=3'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => { output += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { output += b.toString(); });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => output.includes('"msg":"started"') || child.exitCode !== null, 10_000, 'the handler to start');
  assert.equal(child.exitCode, null, `handler exited early:\n${output}`);
  command = new ZrpcClient([`tcp://127.0.0.1:${cmd}`], false, quiet);
  await command.start();
  await sleep(300); // let the connects settle
});

after(async () => {
  command?.close();
  peers?.close();
  if (child && child.exitCode === null && child.pid) {
    process.kill(child.pid, 'SIGTERM');
    const t = setTimeout(() => { if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL'); }, 3000);
    await exited;
    clearTimeout(t);
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function publish(items: unknown[]): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/publish/`, { method: 'POST', body: JSON.stringify({ items }), signal: AbortSignal.timeout(3000) });
  assert.equal(r.status, 200, await r.text());
}

async function connected(c: Client): Promise<boolean> {
  const v = await command.call('conncheck', { ids: [Buffer.from(c.cid)] }, 3000);
  return Array.isArray(v) && v.length === 1;
}

const stream = (ch: string, body = '[open]\n', extra: Array<[string, string]> = []) => peers.open({ headers: [['Content-Type', 'text/plain'], ['Grip-Hold', 'stream'], ['Grip-Channel', ch], ...extra], body });
const hs = (channel: string, content: string, action?: string) => ({ channel, formats: { 'http-stream': action ? { action } : { content } } });

test('inspect answers no-proxy=false', async () => {
  const v = await peers.inspect.call('inspect', { 'request-data': {} }, 3000) as Record<string, unknown>;
  assert.equal(v['no-proxy'], false);
});

test('invalid instructions: accepted=false with a 502 for the proxy to send', async () => {
  const c = await peers.open({ headers: [['Grip-Hold', 'bogus']], body: 'x' });
  assert.equal(c.accept?.accepted, false);
  assert.equal(c.accept?.response?.code, 502);
  assert.equal(c.accept?.response?.body.toString(), 'Error while proxying to origin.\n');
  await waitFor(() => output.includes("Grip-Hold must be set to either 'response' or 'stream'"), 2000, 'the Pushpin message in the log');
});

test('no hold: the instruct response is sent at once, complete, without Grip headers', async () => {
  const c = await peers.open({ code: 201, reason: 'Created', headers: [['X-A', 'b'], ['Grip-Channel', 'none-ch']], body: 'now\n' });
  await waitFor(() => c.complete, 3000, 'the response');
  assert.equal(c.status, 201);
  assert.equal(c.text, 'now\n');
  assert.equal(c.header('x-a'), 'b');
  assert.equal(c.header('grip-channel'), undefined);
});

test('stream hold: initial body at once, published chunks in order, close ends it', { skip: !hasInputs && 'publish inputs not built' }, async () => {
  const c = await stream('st1', '[open]\n', [['X-Custom', 'yes'], ['Content-Length', '7']]);
  await waitFor(() => c.text === '[open]\n', 3000, 'the initial body');
  assert.equal(c.status, 200);
  assert.equal(c.header('x-custom'), 'yes');
  assert.equal(c.header('content-length'), undefined);
  assert.equal(c.header('grip-hold'), undefined);
  assert.equal(c.complete, false);
  await publish([hs('st1', 'one\n'), hs('st1', 'two\n')]);
  await publish([hs('st1', 'three\n')]);
  await waitFor(() => c.text.includes('three\n'), 3000, 'three chunks');
  assert.equal(c.text, '[open]\none\ntwo\nthree\n');
  assert.equal(c.complete, false);
  await publish([hs('st1', '', 'close')]);
  await waitFor(() => c.complete, 3000, 'the close');
  assert.equal(c.text, '[open]\none\ntwo\nthree\n');
  assert.equal(await connected(c), false);
});

test('stream hold: a large chunk is split by credits and arrives intact', { skip: !hasInputs && 'publish inputs not built' }, async () => {
  const c = await stream('st-big');
  await waitFor(() => c.text === '[open]\n', 3000, 'the initial body');
  const big = 'abcdefghij'.repeat(40 * 1024);
  await publish([hs('st-big', big), hs('st-big', 'after\n')]);
  await waitFor(() => c.body.length >= 7 + big.length + 6, 5000, 'the big chunk');
  assert.equal(c.text, `[open]\n${big}after\n`);
});

test('response hold: the published body with merged headers', { skip: !hasInputs && 'publish inputs not built' }, async () => {
  const c = await peers.open({ headers: [['Content-Type', 'text/plain'], ['X-Timeout-Hdr', 'a'], ['Grip-Hold', 'response'], ['Grip-Channel', 'lp1']], body: 'timeout\n' });
  await sleep(200);
  assert.equal(c.status, undefined, 'nothing sent before the publish');
  assert.equal(await connected(c), true);
  await publish([{ channel: 'lp1', formats: { 'http-response': { code: 201, headers: { 'X-Pub': '1', 'Content-Type': 'application/json' }, body: '{"a":1}\n' } } }]);
  await waitFor(() => c.complete, 3000, 'the published response');
  assert.equal(c.status, 201);
  assert.equal(c.reason, 'Created');
  assert.equal(c.text, '{"a":1}\n');
  assert.equal(c.header('x-timeout-hdr'), 'a');
  assert.equal(c.header('x-pub'), '1');
  assert.equal(c.header('content-type'), 'application/json');
  assert.equal(c.headers.filter(([n]) => n.toLowerCase() === 'content-type').length, 1);
  assert.equal(await connected(c), false);
});

test('response hold: Grip-Timeout (raised to 5 s) serves the original response', async () => {
  const t0 = Date.now();
  const c = await peers.open({ code: 202, reason: 'Accepted', headers: [['Grip-Hold', 'response'], ['Grip-Channel', 'lp-to'], ['Grip-Timeout', '1'], ['X-Orig', 'yes']], body: 'original\n' });
  await waitFor(() => c.complete, 9000, 'the timeout response');
  const el = Date.now() - t0;
  assert.ok(el >= 4900 && el < 7000, `timeout after ${el} ms`);
  assert.equal(c.status, 202);
  assert.equal(c.text, 'original\n');
  assert.equal(c.header('x-orig'), 'yes');
  assert.ok(c.headers.every(([n]) => !n.toLowerCase().startsWith('grip-')));
});

test('client cancel unsubscribes: the connection is gone, others keep receiving', { skip: !hasInputs && 'publish inputs not built' }, async () => {
  const a = await stream('st-cancel');
  const b = await stream('st-cancel');
  await waitFor(() => a.text === '[open]\n' && b.text === '[open]\n', 3000, 'both initial bodies');
  assert.equal(await connected(a), true);
  a.s.cancel();
  await waitFor(() => output.includes(`"cid":"${a.cid}","reason":"cancel"`), 3000, 'the cancel to reach the handler');
  assert.equal(await connected(a), false);
  assert.equal(await connected(b), true);
  await publish([hs('st-cancel', 'after\n')]);
  await waitFor(() => b.text === '[open]\nafter\n', 3000, 'delivery to the remaining client');
});

test('ws-control from the proxy: garbage, multipart and bad items are skipped; the sessions after them work', async () => {
  // play the proxy's side of the ws-control pair: the handler connects its PULL to our PUSH
  // (`proxy_ws_control_in_spec`) and its PUSH to our PULL (`proxy_ws_control_out_spec`)
  const rundir = path.join(dir, 'run');
  const toHandler = new Sender('push', { specs: [`ipc://${rundir}/t-ws-control-out`], bind: true }, quiet);
  const fromHandler = new Receiver('pull', { specs: [`ipc://${rundir}/t-ws-control-in`], bind: true }, quiet);
  const got: WsControlItem[] = [];
  fromHandler.onMessage = (frames) => { const p = decodeWsControlPacket(frames[0]!); if (p) got.push(...p.items); };
  await toHandler.start();
  await fromHandler.start();
  try {
    const packet = (items: WsControlItem[]) => encodeWsControlPacket({ from: 'pushpin-proxy_1', items });
    toHandler.send(Buffer.from('garbage'));
    toHandler.send([Buffer.from('two'), Buffer.from('frames')]);
    toHandler.send(tnEncode({ from: 'x', items: [{ cid: 'nope', type: 'send', message: 'hi' }, { type: 'close' }, 'str'] }));
    toHandler.send(packet([{ cid: 'wsc-1', type: 'here', ttl: 60 }]));
    toHandler.send(tnEncode({ from: 'pushpin-proxy_1', items: [{ cid: 'wsc-1', type: 'grip', message: '{"type":"subscribe"' }] }));
    toHandler.send(packet([{ cid: 'wsc-1', type: 'grip', message: Buffer.from('{"type":"subscribe","channel":"wsc"}') }]));
    // the packets and the publish travel on different sockets: publish until the session has one
    const deadline = Date.now() + 5000;
    while (!got.some((i) => i.cid === 'wsc-1' && i.type === 'send') && Date.now() < deadline) {
      await publish([{ channel: 'wsc', formats: { 'ws-message': { content: 'still works' } } }]);
      await sleep(200);
    }
    const sent = got.find((i) => i.cid === 'wsc-1' && i.type === 'send');
    assert.ok(sent, `no send item; got ${JSON.stringify(got)}; handler said:\n${output.split("\n").filter((l) => !l.includes("publish")).join("\n").slice(-3000)}`);
    assert.equal(sent!.message?.toString(), 'still works');
    assert.equal(child.exitCode, null);
  } finally {
    toHandler.close();
    fromHandler.close();
  }
});

test('SIGHUP is logged and the handler keeps running', async () => {
  process.kill(child.pid!, 'SIGHUP');
  await waitFor(() => output.includes('SIGHUP'), 2000, 'the SIGHUP log line');
  assert.equal(child.exitCode, null);
});

test('SIGTERM stops the handler with status 0', async () => {
  process.kill(child.pid!, 'SIGTERM');
  const code = await Promise.race([exited, sleep(3000).then(() => 'still running')]);
  assert.equal(code, 0, output.slice(-2000));
});

test('command line: bad option and unreadable config exit 1 with a message', () => {
  const bin = path.join(serviceDir, 'bin', 'pushpin-handler.js');
  const bad = spawnSync(process.execPath, [bin, '--bogus'], { encoding: 'utf8', timeout: 5000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown option "--bogus"/);
  const missing = spawnSync(process.execPath, [bin, '--config', path.join(dir, 'nope.conf')], { encoding: 'utf8', timeout: 5000 });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /config: /);
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 5000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--port-offset/);
});
