import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InitiatorSession, Packet } from '@pushpin-ts/zhttp';
import { deadPort, startInitiator, startWsBackend, startZurl, wait, within, type Initiator, type WsBackend, type ZurlProc } from './helpers.js';

let z: ZurlProc;
let i: Initiator;
const backends: WsBackend[] = [];

before(async () => {
  z = await startZurl();
  i = await startInitiator(z);
});
after(async () => {
  i?.close();
  await Promise.all(backends.map((b) => b.close()));
  await z?.stop();
});

async function wsBackend(o: Parameters<typeof startWsBackend>[0] = {}): Promise<WsBackend> {
  const b = await startWsBackend(o);
  backends.push(b);
  return b;
}

interface WsClient {
  s: InitiatorSession;
  response: Promise<Packet>;
  messages: Packet[];
  next(): Promise<Packet>;
  closed: Promise<{ code: number | undefined; reason: string }>;
  ended: Promise<{ reason: string; p?: Packet | undefined }>;
}

function openWs(first: Omit<Packet, 'from' | 'id' | 'seq'>): WsClient {
  const s = i.init.open();
  const messages: Packet[] = [];
  const waiters: Array<(p: Packet) => void> = [];
  let onResp!: (p: Packet) => void;
  let onClose!: (v: { code: number | undefined; reason: string }) => void;
  let onEnd!: (v: { reason: string; p?: Packet | undefined }) => void;
  const c: WsClient = {
    s,
    messages,
    response: new Promise((r) => { onResp = r; }),
    closed: new Promise((r) => { onClose = r; }),
    ended: new Promise((r) => { onEnd = r; }),
    next: () => within(new Promise<Packet>((r) => { const m = messages.shift(); if (m) r(m); else waiters.push(r); }), 5000, 'ws message'),
  };
  s.onresponse = (p) => onResp(p);
  s.ondata = (p) => {
    if (p.body?.length) s.credit(p.body.length);
    const w = waiters.shift();
    if (w) w(p); else messages.push(p);
  };
  s.onclose = (code, reason) => onClose({ code, reason: reason.toString() });
  s.onend = (reason, p) => onEnd({ reason, p });
  s.start(first);
  return c;
}

const handshake = [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']] as Array<[string, string]>;

test('WebSocket echo: 101, text and binary messages, close handshake', async () => {
  const b = await wsBackend({ protocol: 'chat', extensions: 'grip; message-prefix=""' });
  const c = openWs({
    method: 'GET', uri: `ws://ws.example:${b.port}/socket?x=1`, credits: 100000, ignorePolicies: true,
    connectHost: '127.0.0.1', connectPort: b.port,
    headers: [['Host', `ws.example:${b.port}`], ...handshake, ['Sec-WebSocket-Protocol', 'chat, other'], ['Sec-WebSocket-Extensions', 'grip'], ['X-Custom', 'Yes']],
  });
  const r = await within(c.response, 5000, '101');
  assert.equal(r.code, 101);
  const hs = r.headers ?? [];
  assert.ok(hs.some(([n, v]) => n.toLowerCase() === 'sec-websocket-protocol' && v === 'chat'), JSON.stringify(hs));
  assert.ok(hs.some(([n, v]) => n.toLowerCase() === 'sec-websocket-extensions' && v === 'grip; message-prefix=""'), 'grip extension relayed');
  assert.ok(hs.some(([n]) => n.toLowerCase() === 'x-backend'));
  assert.ok(!hs.some(([n]) => n.toLowerCase() === 'sec-websocket-accept'));
  assert.ok((r.credits ?? 0) > 0, 'grants credits in the 101');
  const req = b.requests[0]!;
  assert.equal(req.headers.host, `ws.example:${b.port}`);
  assert.equal(req.url, '/socket?x=1');
  assert.equal(req.headers['x-custom'], 'Yes');
  assert.match(String(req.headers['sec-websocket-extensions']), /\bgrip\b/);

  c.s.write(Buffer.from('hello'), false, 'text');
  const m1 = await c.next();
  assert.equal(m1.contentType ?? 'text', 'text');
  assert.equal(m1.body?.toString(), 'hello');

  const bin = Buffer.from([0, 1, 2, 255, 254]);
  c.s.write(bin, false, 'binary');
  const m2 = await c.next();
  assert.equal(m2.contentType, 'binary');
  assert.ok(m2.body?.equals(bin));

  // a fragmented message from the initiator reaches the backend as one message
  c.s.write(Buffer.from('frag-'), true, 'text');
  c.s.write(Buffer.from('ment'), false);
  const m3 = await c.next();
  assert.equal(m3.body?.toString(), 'frag-ment');

  c.s.close(1000, Buffer.from('bye'));
  const cl = await within(c.closed, 5000, 'close from backend');
  assert.equal(cl.code, 1000);
  assert.equal(cl.reason, 'bye');
  assert.ok(b.received.some((f) => f.opcode === 8));
});

test('WebSocket request as Pushpin 1.36\'s proxy sends it (no method, no Connection header): 101 and echo', async () => {
  // the first packet's fields as captured from the real pushpin-proxy towards zurl
  const b = await wsBackend();
  const c = openWs({
    uri: `ws://127.0.0.1:18400/ws/x`, credits: 200000, ignorePolicies: true, connectHost: '127.0.0.1', connectPort: b.port,
    multi: true,
    headers: [['Sec-WebSocket-Version', '13'], ['Sec-WebSocket-Key', '7bqvjnOK9aadp/wqZAftiw=='], ['Upgrade', 'websocket'], ['Host', '127.0.0.1:18400'],
      ['X-Forwarded-For', '127.0.0.1'], ['Sec-WebSocket-Extensions', 'grip']],
  });
  const r = await within(c.response, 5000, '101');
  assert.equal(r.code, 101);
  assert.equal(b.requests[0]!.method, 'GET');
  c.s.write(Buffer.from('hi'), false, 'text');
  assert.equal((await c.next()).body?.toString(), 'hi');
});

test('WebSocket: credits granted back as messages reach the backend', async () => {
  const b = await wsBackend();
  const c = openWs({ method: 'GET', uri: `ws://127.0.0.1:${b.port}/`, credits: 100000, ignorePolicies: true, headers: handshake });
  const r = await within(c.response, 5000, '101');
  const window = r.credits ?? 0;
  assert.ok(window > 0);
  // send more than the initial window: only possible if zurl grants credits back
  const msg = Buffer.alloc(50_000, 0x61);
  const total = Math.ceil((window * 2) / msg.length);
  for (let k = 0; k < total; k++) c.s.write(msg, false, 'text');
  let got = 0;
  while (got < total * msg.length) got += (await c.next()).body?.length ?? 0;
  assert.equal(got, total * msg.length);
});

test('WebSocket: backend refusing the handshake -> rejected with the HTTP response', async () => {
  const b = await wsBackend({ reject: 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nX-Why: nope\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno' });
  const c = openWs({ method: 'GET', uri: `ws://127.0.0.1:${b.port}/`, credits: 100000, ignorePolicies: true, headers: handshake });
  const e = await within(c.ended, 5000, 'rejection');
  assert.equal(e.reason, 'error');
  assert.equal(e.p?.condition, 'rejected');
  assert.equal(e.p?.code, 403);
  assert.equal(e.p?.reason, 'Forbidden');
  assert.ok(e.p?.headers?.some(([n, v]) => n === 'X-Why' && v === 'nope'));
});

test('WebSocket: backend down -> remote-connection-failed', async () => {
  const port = await deadPort();
  const c = openWs({ method: 'GET', uri: `ws://127.0.0.1:${port}/`, credits: 100000, ignorePolicies: true, headers: handshake });
  const e = await within(c.ended, 5000, 'failure');
  assert.equal(e.p?.condition, 'remote-connection-failed');
});

test('WebSocket: cancel from the initiator closes the backend connection', async () => {
  const b = await wsBackend();
  let closed!: () => void;
  const socketClosed = new Promise<void>((r) => { closed = r; });
  b.server.on('upgrade', (_req, socket) => socket.on('close', () => closed()));
  const c = openWs({ method: 'GET', uri: `ws://127.0.0.1:${b.port}/`, credits: 100000, ignorePolicies: true, headers: handshake });
  await within(c.response, 5000, '101');
  await wait(50);
  c.s.cancel();
  await within(socketClosed, 5000, 'backend socket closes');
});

test('WebSocket: backend-initiated close is relayed; ping is answered', async () => {
  const b = await wsBackend({ closeOn: 'close-me' });
  const c = openWs({ method: 'GET', uri: `ws://127.0.0.1:${b.port}/`, credits: 100000, ignorePolicies: true, headers: handshake });
  await within(c.response, 5000, '101');
  const pong = new Promise<string>((r) => { c.s.onpong = (body) => r(body.toString()); });
  c.s.ping(Buffer.from('pp'));
  assert.equal(await within(pong, 5000, 'pong'), 'pp');
  c.s.write(Buffer.from('before'), false, 'text');
  assert.equal((await c.next()).body?.toString(), 'before');
  c.s.write(Buffer.from('close-me'), false, 'text');
  const cl = await within(c.closed, 5000, 'close relayed');
  assert.deepEqual(cl, { code: 4000, reason: 'server bye' });
  c.s.close(4000, Buffer.from('ok'));
  await wait(200);
  assert.ok(b.received.some((f) => f.opcode === 9 && f.payload.toString() === 'pp'), 'ping forwarded to the backend');
  assert.ok(b.received.some((f) => f.opcode === 8), 'undici answered the close');
});
