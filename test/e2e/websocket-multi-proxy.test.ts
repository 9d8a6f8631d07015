// GRIP WebSocket sessions with two proxy processes sharing one handler (`[proxy] workers=2`):
// the handler's WS-control items must reach the proxy that holds each client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import WebSocket from 'ws';
import { decodeWsEvents, encodeWsEvents, type WsEvent } from '@pushpin-ts/grip';
import { publish, sleep, startBackend, startRunner, type Running, until } from '../helpers/index.js';

let r: Running;
let backend: Awaited<ReturnType<typeof startBackend>>;
const cids = new Set<string>();

before(async () => {
  backend = await startBackend((req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
    if (req.method !== 'POST') { res.writeHead(404); res.end(); return; }
    const events = decodeWsEvents(body);
    cids.add(String(req.headers['connection-id']));
    const out: WsEvent[] = [];
    for (const e of events) {
      if (e.type === 'OPEN') out.push({ type: 'OPEN' }, { type: 'TEXT', content: Buffer.from('c:{"type":"subscribe","channel":"multi"}') });
      if (e.type === 'TEXT') out.push({ type: 'TEXT', content: Buffer.concat([Buffer.from('m:echo '), e.content!]) });
      if (e.type === 'TEXT' && e.content!.toString() === 'ka') out.push({ type: 'TEXT', content: Buffer.from('c:{"type":"keep-alive","content":"KA","timeout":1}') });
      if (e.type === 'CLOSE') out.push({ type: 'CLOSE', content: e.content ?? Buffer.alloc(0) });
    }
    const b = encodeWsEvents(out);
    res.writeHead(200, { 'Content-Type': 'application/websocket-events', 'Sec-WebSocket-Extensions': 'grip', 'Content-Length': String(b.length) });
    res.end(b);
  });
  r = await startRunner({ routes: [`* 127.0.0.1:${backend.port},over_http`], extra: { proxy: { workers: 2 } } });
});
after(async () => { await r?.stop(); await backend?.close(); });

function connect(): Promise<{ ws: WebSocket; got: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${r.httpPort}/multi`);
    const got: string[] = [];
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    ws.once('open', () => resolve({ ws, got }));
    ws.once('error', reject);
  });
}


test('every client of either proxy gets each publish once, and its own keep-alives', async () => {
  const clients: Array<{ ws: WebSocket; got: string[] }> = [];
  for (let i = 0; i < 8; i++) clients.push(await connect());
  assert.equal(cids.size, 8);
  await sleep(400);
  await publish(r, [{ channel: 'multi', formats: { 'ws-message': { content: 'to everyone' } } }]);
  await until(() => clients.every((c) => c.got.includes('to everyone')), 5000, () => JSON.stringify(clients.map((c) => c.got)));
  await sleep(300);
  for (const c of clients) assert.deepEqual(c.got, ['to everyone']);
  // a control message answered by the handler (keep-alive-setup) reaches the right proxy too
  clients[0]!.ws.send('ka');
  clients[1]!.ws.send('ka');
  await until(() => clients.slice(0, 2).every((c) => c.got.filter((m) => m === 'KA').length >= 2), 6000, () => JSON.stringify(clients.map((c) => c.got)));
  assert.ok(clients.slice(2).every((c) => !c.got.includes('KA')));
  for (const c of clients) c.ws.close();
});
