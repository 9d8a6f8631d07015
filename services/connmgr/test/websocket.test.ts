import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResponderSession } from '@pushpin-ts/zhttp';
import { acceptKey, creditsFrom, startConnmgr, startResponder, waitFor, within, wsConnect, type Connmgr, type Responder } from './helpers.js';

let cm: Connmgr;
let rsp: Responder;

before(async () => {
  cm = await startConnmgr();
  rsp = await startResponder(cm.base, 'fakeproxy');
});
after(async () => {
  rsp?.close();
  const problems = cm?.problems() ?? [];
  await cm?.stop();
  assert.deepEqual(problems, [], 'no errors logged by connmgr');
});

function accept101(s: ResponderSession, headers: Array<[string, string]> = []): void {
  s.respond({ code: 101, reason: 'Switching Protocols', headers }, Buffer.alloc(0), false, { credits: 1024 });
}

test('websocket: upgrade packet, 101 with protocol, echo text and binary, ping, credits, client close', async () => {
  const hs = wsConnect(cm.port, '/ws?x=1', ['Sec-WebSocket-Protocol: chat, superchat']);
  const s = await rsp.nextSession();
  const r = s.request!;
  assert.equal(r.method, 'GET');
  assert.equal(r.uri, `ws://127.0.0.1:${cm.port}/ws?x=1`);
  assert.equal(r.stream, undefined, 'no stream field for websocket');
  assert.equal(r.credits, 8192);
  assert.equal(r.peerAddress, '127.0.0.1');
  assert.ok(r.headers!.some(([k, v]) => k === 'upgrade' && v === 'websocket'));
  assert.ok(r.headers!.some(([k]) => k === 'sec-websocket-key'));

  const messages: Array<{ type: string | undefined; body: string }> = [];
  s.ondata = (p) => { messages.push({ type: p.contentType, body: p.body?.toString('latin1') ?? '' }); };
  let closed: { code: number | undefined; reason: string } | undefined;
  s.onclose = (code, reason) => { closed = { code, reason: reason.toString() }; s.close(code, reason); };
  accept101(s, [['Sec-WebSocket-Protocol', 'chat'], ['X-Extra', 'yes']]);
  const h = await within(hs, 3000, 'handshake');
  assert.equal(h.status, 101);
  assert.equal(h.headers['sec-websocket-accept'], acceptKey(h.key));
  assert.equal(h.headers['sec-websocket-protocol'], 'chat');
  assert.equal(h.headers['x-extra'], 'yes');
  const ws = h.ws!;

  ws.send(1, 'hello');
  await waitFor(() => messages.length === 1, 'text message at the responder');
  assert.deepEqual(messages[0], { type: 'text', body: 'hello' });
  s.write(Buffer.from('echo:hello'), false, 'text');
  const f1 = await ws.next();
  assert.equal(f1.opcode, 1);
  assert.equal(f1.payload.toString(), 'echo:hello');
  await waitFor(() => creditsFrom(rsp.packets, s.id) === 10, 'credit for the 10-byte message');

  ws.send(2, Buffer.from([0, 1]));
  await waitFor(() => messages.length === 2, 'binary message');
  assert.deepEqual(messages[1], { type: 'binary', body: '\x00\x01' });

  s.ping(Buffer.from('pp'));
  const ping = await ws.next();
  assert.equal(ping.opcode, 9);
  assert.equal(ping.payload.toString(), 'pp');
  await waitFor(() => creditsFrom(rsp.packets, s.id) === 12, 'credit for the ping payload');

  // a fragmented message from the responder
  s.write(Buffer.from('ab'), true, 'binary');
  s.write(Buffer.from('cd'), false);
  const fa = await ws.next();
  const fb = await ws.next();
  assert.deepEqual([fa.opcode, fa.fin, fa.payload.toString()], [2, false, 'ab']);
  assert.deepEqual([fb.opcode, fb.fin, fb.payload.toString()], [0, true, 'cd']);

  ws.close(1000, 'ok');
  await waitFor(() => closed, 'close packet at the responder');
  assert.deepEqual(closed, { code: 1000, reason: 'ok' });
  const cf = await ws.next();
  assert.equal(cf.opcode, 8);
  await ws.waitClosed();
});

test('websocket: responder close reaches the client with code and reason, and is echoed', async () => {
  const hs = wsConnect(cm.port, '/ws2');
  const s = await rsp.nextSession();
  let echoed: number | undefined;
  s.onclose = (code) => { echoed = code; };
  accept101(s);
  const ws = (await within(hs, 3000, 'handshake')).ws!;
  s.close(1000, Buffer.from('bye'));
  const f = await ws.next();
  assert.equal(f.opcode, 8);
  assert.equal(f.payload.readUInt16BE(0), 1000);
  assert.equal(f.payload.subarray(2).toString(), 'bye');
  await waitFor(() => echoed === 1000, 'close echoed to the responder');
});

test('websocket: rejection relays the responder HTTP response', async () => {
  const hs = wsConnect(cm.port, '/nope');
  const s = await rsp.nextSession();
  s.error('rejected', { code: 403, reason: 'Forbidden', headers: [['Content-Type', 'text/plain']], body: Buffer.from('no') });
  const h = await within(hs, 3000, 'rejection');
  assert.equal(h.status, 403);
  assert.equal(h.statusLine, 'HTTP/1.1 403 Forbidden');
  assert.equal(h.headers['content-type'], 'text/plain');
  assert.equal(h.body, 'no');
});

test('websocket: other responder errors give 502', async () => {
  const hs = wsConnect(cm.port, '/broken');
  const s = await rsp.nextSession();
  s.error('remote-connection-failed');
  assert.equal((await within(hs, 3000, '502')).status, 502);
});

test('websocket: client vanishing without close cancels the session', async () => {
  const hs = wsConnect(cm.port, '/gone');
  const s = await rsp.nextSession();
  accept101(s);
  const ws = (await within(hs, 3000, 'handshake')).ws!;
  ws.sock.destroy();
  await waitFor(() => rsp.packets.some(({ p }) => p.id === s.id && p.type === 'cancel'), 'cancel packet');
});
