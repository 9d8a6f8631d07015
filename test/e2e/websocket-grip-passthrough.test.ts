// GRIP over a passthrough WebSocket (websocket-over-http.md §7, §8): a real `ws` backend that
// accepts the `grip` extension, control messages, the message prefix, publishing, detach.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type net from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { publish, sleep, startRunner, type Running, until } from '../helpers/index.js';

let r: Running;
let wss: WebSocketServer;
const offered: Array<string | undefined> = [];
const backendClosed: number[] = [];

before(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  wss.on('headers', (headers: string[], req: http.IncomingMessage) => {
    offered.push(req.headers['sec-websocket-extensions']);
    if (!req.url?.startsWith('/plain')) headers.push(req.url?.startsWith('/noprefix') ? 'Sec-WebSocket-Extensions: grip; message-prefix=""' : 'Sec-WebSocket-Extensions: grip');
  });
  wss.on('connection', (ws, req) => {
    const u = new URL(req.url ?? '/', 'http://x');
    ws.on('close', (code: number) => backendClosed.push(code));
    const ch = u.searchParams.get('ch');
    if (ch) ws.send(`c:${JSON.stringify({ type: 'subscribe', channel: ch })}`);
    ws.on('message', (d: Buffer, binary: boolean) => {
      const m = d.toString();
      if (binary) { ws.send(Buffer.concat([Buffer.from('m:'), d]), { binary: true }); return; }
      if (m === 'detach') { ws.send('m:bye backend'); ws.send('c:{"type":"detach"}'); return; }
      if (m === 'ka') { ws.send('c:{"type":"keep-alive","content":"KA","timeout":1}'); return; }
      ws.send('dropped: no prefix');
      ws.send(`c:{"type":"bogus"}`);
      ws.send(u.pathname.startsWith('/noprefix') || u.pathname.startsWith('/plain') ? `raw ${m}` : `m:echo ${m}`);
    });
  });
  await new Promise<void>((res) => wss.once('listening', () => res()));
  const port = (wss.address() as net.AddressInfo).port;
  r = await startRunner({ routes: [`* 127.0.0.1:${port}`] });
});
after(async () => {
  await r?.stop();
  for (const c of wss?.clients ?? []) c.terminate();
  await new Promise<void>((res) => (wss ? wss.close(() => res()) : res()));
});

interface Client { ws: WebSocket; got: Array<{ text: string; binary: boolean }>; closed: Promise<number>; extensions: string | undefined }

function connect(path: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${r.httpPort}${path}`, { perMessageDeflate: false });
    const got: Array<{ text: string; binary: boolean }> = [];
    let extensions: string | undefined;
    ws.on('upgrade', (res: http.IncomingMessage) => { extensions = res.headers['sec-websocket-extensions'] as string | undefined; });
    const closed = new Promise<number>((res) => ws.on('close', (code: number) => res(code)));
    ws.on('message', (d: Buffer, binary: boolean) => got.push({ text: d.toString(), binary }));
    ws.once('open', () => resolve({ ws, got, closed, extensions }));
    ws.once('error', reject);
  });
}


test('grip offered to the backend, hidden from the client; prefix stripped, others dropped; publish arrives', async () => {
  const c = await connect('/grip?ch=pt1');
  // (the outbound client may add its own permessage-deflate offer)
  assert.deepEqual(offered.at(-1)?.split(',').map((e) => e.trim()).filter((e) => !e.startsWith('permessage-deflate')), ['grip']);
  assert.equal(c.extensions, undefined, 'grip extension shown to the client');
  c.ws.send('hello');
  await until(() => c.got.length >= 1, 3000, () => JSON.stringify(c.got));
  c.ws.send(Buffer.from([7, 8]));
  await until(() => c.got.length >= 2, 3000, () => JSON.stringify(c.got));
  assert.deepEqual(c.got[0], { text: 'echo hello', binary: false });
  assert.equal(c.got[1]!.binary, true);
  assert.deepEqual([...Buffer.from(c.got[1]!.text, 'latin1')].slice(0, 2), [7, 8]);
  await sleep(200);
  await publish(r, [{ channel: 'pt1', formats: { 'ws-message': { content: 'published!' } } }]);
  await until(() => c.got.length >= 3, 3000, () => JSON.stringify(c.got));
  assert.equal(c.got[2]!.text, 'published!');
  assert.equal(c.got.length, 3);
  c.ws.close(1000);
  assert.equal(await c.closed, 1000);
});

test('message-prefix="" relays everything but control messages', async () => {
  const c = await connect('/noprefix');
  c.ws.send('x');
  await until(() => c.got.length >= 2, 3000, () => JSON.stringify(c.got));
  await sleep(100);
  assert.deepEqual(c.got.map((m) => m.text), ['dropped: no prefix', 'raw x']);
  c.ws.close();
});

test('a backend without the grip extension is relayed verbatim (control messages included)', async () => {
  const c = await connect('/plain');
  c.ws.send('y');
  await until(() => c.got.length >= 3, 3000, () => JSON.stringify(c.got));
  assert.deepEqual(c.got.map((m) => m.text), ['dropped: no prefix', 'c:{"type":"bogus"}', 'raw y']);
  c.ws.close();
});

test('keep-alive control message and detach: backend closed, client kept and still published to', async () => {
  const c = await connect('/grip?ch=pt2');
  c.ws.send('ka');
  await until(() => c.got.filter((m) => m.text === 'KA').length >= 2, 5000, () => JSON.stringify(c.got));
  const closesBefore = backendClosed.length;
  c.ws.send('detach');
  await until(() => backendClosed.length > closesBefore, 3000, () => 'backend side not closed');
  await sleep(200);
  await publish(r, [{ channel: 'pt2', formats: { 'ws-message': { content: 'after detach' } } }]);
  await until(() => c.got.some((m) => m.text === 'after detach'), 3000, () => JSON.stringify(c.got));
  assert.ok(c.got.some((m) => m.text === 'bye backend'));
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  c.ws.close(1000);
  assert.equal(await c.closed, 1000);
});

test('ws-message close action closes client and backend', async () => {
  const c = await connect('/grip?ch=pt3');
  await sleep(300);
  const closesBefore = backendClosed.length;
  await publish(r, [{ channel: 'pt3', formats: { 'ws-message': { action: 'close', code: 4321 } } }]);
  assert.equal(await c.closed, 4321);
  await until(() => backendClosed.length > closesBefore, 3000, () => 'backend side not closed');
  assert.equal(backendClosed.at(-1), 4321);
});
