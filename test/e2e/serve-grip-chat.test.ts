// Cross-process chat: a real Express backend using @fanoutio/serve-grip behind the real runner
// (WebSocket-over-HTTP route). Every message a client sends is published by the backend to the
// `chat` channel, so every connected client (the sender included) receives it exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import type net from 'node:net';
import express from 'express';
import WebSocket from 'ws';
import { ServeGrip } from '@fanoutio/serve-grip';
import { WebSocketMessageFormat } from '@fanoutio/grip';
import { sleep, startRunner, type Running, until } from '../helpers/index.js';

let r: Running;
let server: http.Server;
let serveGrip: ServeGrip | undefined;
const published: string[] = [];
const closedByBackend: string[] = [];

before(async () => {
  const app = express();
  // the runner's publish port is only known once it runs: build the middleware lazily
  app.use((req, res, next) => {
    if (!serveGrip) { res.status(503).end('not ready\n'); return; }
    void serveGrip(req, res, next);
  });
  app.post('/chat', async (req, res) => {
    const ws = req.grip?.wsContext;
    if (!req.grip?.isSigned) { res.status(403).end('not signed by the proxy\n'); return; }
    if (!ws) { res.status(400).end('[not a websocket request]\n'); return; }
    if (ws.isOpening()) {
      ws.accept();
      ws.subscribe('chat');
    }
    while (ws.canRecv()) {
      const m = ws.recv();
      if (m === null) {
        closedByBackend.push(ws.id);
        ws.close();
        break;
      }
      published.push(m);
      await serveGrip!.getPublisher().publishFormats('chat', new WebSocketMessageFormat(m));
    }
    res.end();
  });
  server = await new Promise<http.Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const port = (server.address() as net.AddressInfo).port;
  r = await startRunner({ routes: [`*,path_beg=/chat 127.0.0.1:${port},over_http`] });
  serveGrip = new ServeGrip({
    grip: { control_uri: `http://127.0.0.1:${r.publishPort}/`, verify_iss: 'pushpin', verify_key: 'e2e-key' },
    gripProxyRequired: true,
  });
});

after(async () => {
  await r?.stop();
  if (server) { server.closeAllConnections(); await new Promise<void>((res) => server.close(() => res())); }
});

interface ChatClient { ws: WebSocket; got: string[]; closed: Promise<number> }

function join(): Promise<ChatClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${r.httpPort}/chat`);
    const got: string[] = [];
    const closed = new Promise<number>((res) => ws.on('close', (code: number) => res(code)));
    ws.on('message', (d: Buffer) => got.push(d.toString()));
    ws.once('open', () => resolve({ ws, got, closed }));
    ws.once('error', reject);
  });
}


test('every message a client sends reaches every client exactly once', async () => {
  const clients = [await join(), await join(), await join()];
  await sleep(300); // subscriptions travel proxy → handler
  clients[0]!.ws.send('hello from 0');
  await until(() => clients.every((c) => c.got.length >= 1), 5000, () => JSON.stringify(clients.map((c) => c.got)));
  clients[1]!.ws.send('hi from 1');
  clients[2]!.ws.send('hey from 2');
  await until(() => clients.every((c) => c.got.length >= 3), 5000, () => JSON.stringify(clients.map((c) => c.got)));
  await sleep(300);
  for (const c of clients) {
    assert.equal(c.got.length, 3, `duplicates: ${JSON.stringify(c.got)}`);
    assert.equal(c.got[0], 'hello from 0');
    assert.deepEqual([...c.got].sort(), ['hello from 0', 'hey from 2', 'hi from 1']);
  }
  assert.deepEqual([...published].sort(), ['hello from 0', 'hey from 2', 'hi from 1']);
  for (const c of clients) c.ws.close(1000);
  const codes = await Promise.all(clients.map((c) => c.closed));
  assert.deepEqual(codes, [1000, 1000, 1000]);
  await until(() => closedByBackend.length >= 3, 3000, () => `backend saw ${closedByBackend.length} closes`);
});

test('a client that left no longer receives chat messages; the others still do', async () => {
  const a = await join();
  const b = await join();
  await sleep(300);
  b.ws.terminate();
  await sleep(300);
  a.ws.send('anyone?');
  await until(() => a.got.includes('anyone?'), 5000, () => JSON.stringify(a.got));
  // many messages in a burst arrive complete and in order at the sender
  const burst = Array.from({ length: 20 }, (_, i) => `m${i}`);
  for (const m of burst) a.ws.send(m);
  await until(() => a.got.length >= 21, 8000, () => JSON.stringify(a.got));
  assert.deepEqual(a.got.slice(1), burst);
  a.ws.close();
  await a.closed;
});
