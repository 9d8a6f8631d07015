// WebSocket-over-HTTP end to end: the real runner, a backend written here that speaks the
// application/websocket-events protocol, and real WebSocket clients (the `ws` package).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import * as zmq from 'zeromq';
import { decodeWsEvents, encodeWsEvents, type WsEvent } from '@pushpin-ts/grip';
import { decode as tnDecode, encode as tnEncode } from '@pushpin-ts/tnetstring';
import { publish, request, sleep, startBackend, startRunner, type Running, until } from '../helpers/index.js';

interface Hit { path: string; headers: http.IncomingHttpHeaders; events: WsEvent[] }

let r: Running;
let backend: Awaited<ReturnType<typeof startBackend>>;
/** A second backend that the tests stop and restart on the same port (retries). */
let flaky: http.Server | undefined;
let flakyPort = 0;
const hits: Hit[] = [];
const EVENTS = 'application/websocket-events';
const text = (s: string): WsEvent => ({ type: 'TEXT', content: Buffer.from(s) });
const ctrl = (o: unknown): WsEvent => text(`c:${JSON.stringify(o)}`);

function reply(res: http.ServerResponse, events: WsEvent[], headers: Record<string, string> = {}): void {
  const body = encodeWsEvents(events);
  res.writeHead(200, { 'Content-Type': EVENTS, 'Content-Length': String(body.length), ...headers });
  res.end(body);
}

/** The test backend: /woh/echo?ch=<channel>&user=<name> echoes with the `m:` prefix and understands a few commands. */
function onRequest(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const u = new URL(req.url ?? '/', 'http://x');
  if (u.pathname === '/woh/reject') {
    res.writeHead(403, { 'Content-Type': 'text/plain', 'X-Why': 'test' });
    res.end('go away\n');
    return;
  }
  if (u.pathname === '/woh/badopen') {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('OPEN\r\n');
    return;
  }
  let events: WsEvent[];
  try { events = decodeWsEvents(body); } catch { res.writeHead(400); res.end(); return; }
  hits.push({ path: u.pathname, headers: req.headers, events });
  if (u.pathname === '/woh/slowopen' && hits.filter((h) => h.headers['connection-id'] === req.headers['connection-id']).length === 1) {
    // accept later: an empty answer with a poll interval keeps the handshake pending
    reply(res, [], { 'Keep-Alive-Interval': '5' });
    return;
  }
  const out: WsEvent[] = [];
  const headers: Record<string, string> = {};
  let raw: Buffer | undefined;
  let contentType: string | undefined;
  for (const e of events) {
    switch (e.type) {
      case 'OPEN': {
        out.push({ type: 'OPEN' });
        headers['Sec-WebSocket-Extensions'] = 'grip';
        if (u.searchParams.get('ka')) headers['Keep-Alive-Interval'] = u.searchParams.get('ka')!;
        const ch = u.searchParams.get('ch');
        if (ch) out.push(ctrl({ type: 'subscribe', channel: ch, ...(u.searchParams.get('filter') ? { filters: [u.searchParams.get('filter')] } : {}) }));
        const user = u.searchParams.get('user');
        if (user) {
          headers['Set-Meta-User'] = user;
          out.push(ctrl({ type: 'set-meta', name: 'user', value: user }));
        }
        break;
      }
      case 'TEXT': {
        const m = e.content!.toString();
        if (m === 'nop') out.push(text('no prefix, dropped'), text('c:{not json'), ctrl({ type: 'no-such-type' }));
        else if (m === 'close') out.push({ type: 'CLOSE', content: Buffer.concat([Buffer.from([0x0f, 0xa2]), Buffer.from('done')]) });
        else if (m === 'disconnect') out.push({ type: 'DISCONNECT' });
        else if (m === 'detach') out.push(text('m:detaching'), ctrl({ type: 'detach' }));
        else if (m === 'malformed') raw = Buffer.from('TEXT zz\r\nbroken');
        else if (m === 'truncated') raw = Buffer.from('TEXT 20\r\nshort\r\n');
        else if (m === 'wrongtype') { raw = encodeWsEvents([text('m:never')]); contentType = 'text/plain'; }
        else if (m === 'charset') { raw = encodeWsEvents([text('m:never')]); contentType = `${EVENTS}; charset=utf-8`; }
        else if (m.startsWith('sub:')) out.push(ctrl({ type: 'subscribe', channel: m.slice(4) }), text('m:subscribed'));
        else if (m.startsWith('unsub:')) out.push(ctrl({ type: 'unsubscribe', channel: m.slice(6) }), text('m:unsubscribed'));
        else out.push(text(`m:echo ${m}`));
        break;
      }
      case 'BINARY':
        out.push({ type: 'BINARY', content: Buffer.concat([Buffer.from('m:'), Buffer.from([0xee]), e.content!]) });
        break;
      case 'PING':
        out.push(e.content ? { type: 'PONG', content: e.content } : { type: 'PONG' });
        break;
      case 'CLOSE':
        out.push(e.content ? { type: 'CLOSE', content: e.content } : { type: 'CLOSE' });
        break;
      default:
        break;
    }
  }
  if (raw) {
    res.writeHead(200, { 'Content-Type': contentType ?? EVENTS, 'Content-Length': String(raw.length) });
    res.end(raw);
    return;
  }
  reply(res, out, headers);
}

function startFlaky(port: number): Promise<http.Server> {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => onRequest(req, res, Buffer.concat(chunks)));
  });
  return new Promise((resolve, reject) => { srv.once('error', reject); srv.listen(port, '127.0.0.1', () => resolve(srv)); });
}

function stopFlaky(): Promise<void> {
  const srv = flaky;
  flaky = undefined;
  if (!srv) return Promise.resolve();
  srv.closeAllConnections();
  return new Promise((res) => srv.close(() => res()));
}

before(async () => {
  backend = await startBackend(onRequest);
  flaky = await startFlaky(0);
  flakyPort = (flaky.address() as net.AddressInfo).port;
  r = await startRunner({
    routes: [`*,path_beg=/flaky/ 127.0.0.1:${flakyPort},over_http`, `*,path_beg=/woh/ 127.0.0.1:${backend.port},over_http`, `* 127.0.0.1:${backend.port}`],
  });
});
after(async () => { await r?.stop(); await backend?.close(); await stopFlaky(); });

interface Msg { data: Buffer; binary: boolean; text: string }
interface Client {
  ws: WebSocket;
  next(ms?: number): Promise<Msg>;
  closed(ms?: number): Promise<{ code: number; reason: string }>;
  queue: Msg[];
  pongs: Buffer[];
}

function connect(path: string, headers: Record<string, string> = {}, handshakeMs = 10_000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${r.httpPort}${path}`, { headers });
    const queue: Msg[] = [];
    const pongs: Buffer[] = [];
    const waiters: Array<() => void> = [];
    let closeInfo: { code: number; reason: string } | undefined;
    const wake = () => { for (const w of waiters.splice(0)) w(); };
    ws.on('message', (d: Buffer, binary: boolean) => { queue.push({ data: d, binary, text: d.toString() }); wake(); });
    ws.on('pong', (d: Buffer) => { pongs.push(d); wake(); });
    ws.on('close', (code: number, reason: Buffer) => { closeInfo = { code, reason: reason.toString() }; wake(); });
    ws.on('error', () => { /* reported through close or the handshake */ });
    const wait = async (cond: () => boolean, ms: number, what: string): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise<void>((res) => { waiters.push(res); setTimeout(res, 50); });
      }
    };
    // a handshake that never completes fails this test, not the whole file at its timeout
    const handshake = setTimeout(() => { ws.terminate(); reject(new Error(`WebSocket ${path}: no handshake answer within ${handshakeMs} ms`)); }, handshakeMs);
    ws.once('open', () => clearTimeout(handshake));
    ws.once('close', () => clearTimeout(handshake));
    ws.once('open', () => resolve({
      ws, queue, pongs,
      async next(ms = 3000) {
        await wait(() => queue.length > 0 || closeInfo !== undefined, ms, 'a message');
        const m = queue.shift();
        if (!m) throw new Error(`socket closed (${closeInfo?.code}) instead of a message`);
        return m;
      },
      async closed(ms = 3000) {
        await wait(() => closeInfo !== undefined, ms, 'close');
        return closeInfo!;
      },
    }));
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(Object.assign(new Error(`handshake rejected: ${res.statusCode}`), { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() })));
    });
    ws.once('error', (e) => reject(e));
  });
}

/** Requests the backend saw for one Connection-Id. */
function hitsFor(cid: string): Hit[] { return hits.filter((h) => h.headers['connection-id'] === cid); }
function lastCid(): string { return String(hits.at(-1)!.headers['connection-id']); }


test('OPEN request shape, echo through the m: prefix, meta echoed, Connection-Id stable', async () => {
  const c = await connect('/woh/echo?user=alice', { 'Sec-WebSocket-Extensions': 'x-client-ext', 'Meta-Evil': 'no', 'Connection-Id': 'spoofed' });
  const open = hits.at(-1)!;
  const cid = lastCid();
  assert.equal(open.events.length, 1);
  assert.equal(open.events[0]!.type, 'OPEN');
  assert.equal(open.headers['content-type'], EVENTS);
  assert.equal(open.headers['accept'], EVENTS);
  assert.equal(open.headers['sec-websocket-extensions'], 'grip');
  assert.ok(open.headers['grip-sig'], 'Grip-Sig missing');
  assert.match(cid, /^[0-9a-f-]{36}$/);
  assert.equal(open.headers['meta-evil'], undefined, 'client Meta-* header forwarded');
  assert.equal(open.headers['meta-user'], undefined);
  assert.equal(open.headers['upgrade'], undefined);
  c.ws.send('hello');
  assert.equal((await c.next()).text, 'echo hello');
  const second = hitsFor(cid).at(-1)!;
  assert.equal(second.headers['meta-user'], 'alice');
  assert.ok(second.headers['grip-sig'], 'Grip-Sig missing on a later request');
  assert.deepEqual(second.events.map((e) => [e.type, e.content?.toString()]), [['TEXT', 'hello']]);
  // messages without the prefix and control messages never reach the client
  c.ws.send('nop');
  c.ws.send('after');
  assert.equal((await c.next()).text, 'echo after');
  c.ws.send(Buffer.from([1, 2, 3]));
  const b = await c.next();
  assert.equal(b.binary, true);
  assert.deepEqual([...b.data], [0xee, 1, 2, 3]);
  assert.equal(c.queue.length, 0);
  c.ws.close();
});

test('publish: ws-message text, binary, close action; skip-self filter with set-meta', async () => {
  const alice = await connect('/woh/echo?ch=room1&user=alice&filter=skip-self');
  const bob = await connect('/woh/echo?ch=room1&user=bob&filter=skip-self');
  await sleep(300);
  await publish(r, [{ channel: 'room1', formats: { 'ws-message': { content: 'from alice' } }, meta: { sender: 'alice' } }]);
  assert.equal((await bob.next()).text, 'from alice');
  await publish(r, [{ channel: 'room1', formats: { 'ws-message': { 'content-bin': Buffer.from([0, 255]).toString('base64') } } }]);
  const m = await bob.next();
  assert.equal(m.binary, true);
  assert.deepEqual([...m.data], [0, 255]);
  const am = await alice.next();
  assert.equal(am.binary, true, 'alice should only get the second publish');
  await publish(r, [{ channel: 'room1', formats: { 'ws-message': { action: 'close', code: 4100, reason: 'bye-pub' } } }]);
  const [ca, cb] = await Promise.all([alice.closed(), bob.closed()]);
  assert.deepEqual(ca, { code: 4100, reason: 'bye-pub' });
  assert.deepEqual(cb, { code: 4100, reason: 'bye-pub' });
});

test('subscribe and unsubscribe later via control messages', async () => {
  const c = await connect('/woh/echo');
  c.ws.send('sub:late');
  assert.equal((await c.next()).text, 'subscribed');
  await sleep(200);
  await publish(r, [{ channel: 'late', formats: { 'ws-message': { content: 'one' } } }]);
  assert.equal((await c.next()).text, 'one');
  c.ws.send('unsub:late');
  assert.equal((await c.next()).text, 'unsubscribed');
  await sleep(200);
  await publish(r, [{ channel: 'late', formats: { 'ws-message': { content: 'two' } } }]);
  await sleep(300);
  assert.equal(c.queue.length, 0, 'delivered after unsubscribe');
  c.ws.close();
});

test('client ping becomes a PING event; the backend PONG is relayed', async () => {
  const c = await connect('/woh/echo');
  const cid = lastCid();
  c.ws.ping(Buffer.from('pp'));
  await until(() => hitsFor(cid).some((h) => h.events.some((e) => e.type === 'PING' && e.content?.toString() === 'pp')), 3000, 'PING event');
  await until(() => c.pongs.some((p) => p.toString() === 'pp'), 3000, 'pong');
  c.ws.close();
});

test('client close: CLOSE event with code and reason, backend answer closes the client', async () => {
  const c = await connect('/woh/echo');
  const cid = lastCid();
  c.ws.close(4001, 'bye');
  // (uWS answers the close frame itself, so the client may see it before the backend's answer)
  assert.deepEqual(await c.closed(), { code: 4001, reason: 'bye' });
  await until(() => hitsFor(cid).some((h) => h.events.some((e) => e.type === 'CLOSE')), 3000, 'CLOSE event');
  const closeEv = hitsFor(cid).flatMap((h) => h.events).find((e) => e.type === 'CLOSE')!;
  assert.equal(closeEv.content!.toString('hex'), Buffer.concat([Buffer.from([0x0f, 0xa1]), Buffer.from('bye')]).toString('hex'));
});

test('backend close: the client gets the code, its reply goes back as CLOSE', async () => {
  const c = await connect('/woh/echo');
  const cid = lastCid();
  c.ws.send('close');
  assert.deepEqual(await c.closed(), { code: 4002, reason: 'done' });
  await until(() => hitsFor(cid).some((h) => h.events.some((e) => e.type === 'CLOSE')), 3000, 'CLOSE back to the backend');
});

test('backend DISCONNECT drops the client without a close frame', async () => {
  const c = await connect('/woh/echo');
  c.ws.send('disconnect');
  assert.equal((await c.closed()).code, 1006);
});

test('a backend rejection of OPEN is relayed with status, headers and body', async () => {
  await assert.rejects(connect('/woh/reject'), (e: Error & { status?: number; body?: string; headers?: http.IncomingHttpHeaders }) => {
    assert.equal(e.status, 403);
    assert.equal(e.body, 'go away\n');
    assert.equal(e.headers?.['x-why'], 'test');
    return true;
  });
  // the wrong Content-Type on the OPEN response also refuses the handshake
  await assert.rejects(connect('/woh/badopen'), (e: Error & { status?: number }) => { assert.equal(e.status, 200); return true; });
});

test('detach: the backend gets an empty CLOSE, the client keeps receiving publishes', async () => {
  const c = await connect('/woh/echo?ch=det');
  const cid = lastCid();
  c.ws.send('detach');
  assert.equal((await c.next()).text, 'detaching');
  await until(() => hitsFor(cid).some((h) => h.events.some((e) => e.type === 'CLOSE' && e.content === undefined)), 3000, 'empty CLOSE');
  const before = hitsFor(cid).length;
  c.ws.send('ignored now');
  await publish(r, [{ channel: 'det', formats: { 'ws-message': { content: 'still here' } } }]);
  assert.equal((await c.next()).text, 'still here');
  await sleep(200);
  assert.equal(hitsFor(cid).length, before, 'client message reached the backend after detach');
  c.ws.close(1000);
  assert.equal((await c.closed()).code, 1000);
});

test('command socket conncheck knows the Connection-Id of live sessions', async () => {
  const c = await connect('/woh/echo');
  const cid = lastCid();
  await sleep(200);
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(`tcp://127.0.0.1:${r.commandPort}`);
  try {
    const ask = async (): Promise<string[]> => {
      await dealer.send(['', tnEncode({ id: 'cc1', method: 'conncheck', args: { ids: [cid, 'nope'] } })]);
      const [, payload] = await dealer.receive();
      const rep = tnDecode(payload!) as Record<string, unknown>;
      assert.equal(rep['success'], true);
      return (rep['value'] as Buffer[]).map((b) => b.toString());
    };
    assert.deepEqual(await ask(), [cid]);
    c.ws.close();
    await c.closed();
    await sleep(300);
    assert.deepEqual(await ask(), []);
  } finally {
    dealer.close();
  }
});

async function command(method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const dealer = new zmq.Dealer({ linger: 0 });
  dealer.connect(`tcp://127.0.0.1:${r.commandPort}`);
  try {
    await dealer.send(['', tnEncode({ id: 'x1', method, args: args as Record<string, never> })]);
    const [, payload] = await dealer.receive();
    return tnDecode(payload!) as Record<string, unknown>;
  } finally {
    dealer.close();
  }
}

test('refresh (command and ws-message action) makes the proxy send a request with no events', async () => {
  const c = await connect('/woh/echo?ch=refr');
  const cid = lastCid();
  await sleep(200);
  const n = hitsFor(cid).length;
  const rep = await command('refresh', { cid });
  assert.equal(rep['success'], true, JSON.stringify(rep));
  await until(() => hitsFor(cid).length === n + 1, 3000, 'refresh request');
  assert.deepEqual(hitsFor(cid).at(-1)!.events, []);
  await publish(r, [{ channel: 'refr', formats: { 'ws-message': { action: 'refresh' } } }]);
  await until(() => hitsFor(cid).length === n + 2, 3000, 'second refresh request');
  assert.equal((await command('refresh', { cid: 'no-such-cid' }))['success'], false);
  c.ws.close();
});

test('a request that cannot reach the backend is retried; the session survives', { timeout: 20000 }, async () => {
  const c = await connect('/flaky/echo');
  await stopFlaky();
  c.ws.send('while down');
  await sleep(300);
  flaky = await startFlaky(flakyPort);
  // first retry after 1–2 s
  assert.equal((await c.next(8000)).text, 'echo while down');
  c.ws.send('back up');
  assert.equal((await c.next()).text, 'echo back up');
  c.ws.close();
});

test('Keep-Alive-Interval (raised to 20 s): empty polls while idle; an empty OPEN answer re-sends OPEN', { timeout: 40000 }, async () => {
  const t0 = Date.now();
  const slow = connect('/woh/slowopen', {}, 35_000); // answered only after a keep-alive interval
  const c = await connect('/woh/echo?ka=1');
  const cid = String(hits.filter((h) => h.path === '/woh/echo').at(-1)!.headers['connection-id']);
  await until(() => hitsFor(cid).length >= 2, 25000, 'keep-alive poll');
  const el = Date.now() - t0;
  assert.ok(el >= 19000, `poll after ${el} ms, expected ~20 s`);
  assert.deepEqual(hitsFor(cid)[1]!.events, []);
  const s2 = await slow;
  const sid = String(hits.find((h) => h.path === '/woh/slowopen')!.headers['connection-id']);
  assert.deepEqual(hitsFor(sid).map((h) => h.events.map((e) => e.type)), [['OPEN'], ['OPEN']]);
  s2.ws.send('late');
  assert.equal((await s2.next()).text, 'echo late');
  c.ws.close();
  s2.ws.close();
});

test('a plain HTTP request carrying WebSocket events is refused with 403', async () => {
  const res = await request(r.httpPort, { method: 'POST', path: '/woh/echo', body: 'OPEN\r\n', headers: { 'Content-Type': EVENTS, 'Content-Length': '6' } });
  assert.equal(res.status, 403);
  assert.equal(res.text, 'Client not allowed to send WebSocket events directly.\n');
});

// ---- bad input: the offending connection is closed, others keep working ----

async function assertAlive(c: Client, word: string): Promise<void> {
  c.ws.send(word);
  assert.equal((await c.next()).text, `echo ${word}`);
}

test('backend answers malformed events, a truncated body or the wrong Content-Type: that client is dropped', async () => {
  const bystander = await connect('/woh/echo');
  for (const bad of ['malformed', 'truncated', 'wrongtype', 'charset']) {
    const c = await connect('/woh/echo');
    c.ws.send(bad);
    assert.equal((await c.closed()).code, 1006, `${bad}: expected an abnormal close`);
    assert.equal(c.queue.length, 0, `${bad}: something reached the client`);
  }
  await assertAlive(bystander, 'still fine');
  bystander.ws.close();
});

test('a client message too large for WebSocket-over-HTTP closes that client with 1009', async () => {
  const bystander = await connect('/woh/echo');
  const c = await connect('/woh/echo');
  const cid = lastCid();
  c.ws.send('x'.repeat(300_000));
  assert.equal((await c.closed(5000)).code, 1009);
  await until(() => hitsFor(cid).some((h) => h.events.some((e) => e.type === 'DISCONNECT')), 3000, 'DISCONNECT');
  // beyond the connection manager's own limit (1 MiB) uWS drops the connection itself
  // (no close frame: the client sees 1006)
  const big = await connect('/woh/echo');
  big.ws.send(Buffer.alloc(2 * 1024 * 1024, 1));
  const bigCode = (await big.closed(5000)).code;
  assert.ok(bigCode === 1009 || bigCode === 1006, `close code ${bigCode}`);
  await assertAlive(bystander, 'after big');
  bystander.ws.close();
});

/** A raw WebSocket connection: handshake done by hand, frames written as given. */
async function rawSocket(path: string): Promise<net.Socket> {
  const s = net.connect(r.httpPort, '127.0.0.1');
  await new Promise<void>((res, rej) => { s.once('connect', () => res()); s.once('error', rej); });
  s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let head = '';
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error('no 101')), 3000);
    const onData = (d: Buffer) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) { clearTimeout(t); s.off('data', onData); res(); }
    };
    s.on('data', onData);
  });
  assert.match(head, /^HTTP\/1\.1 101/);
  return s;
}

function frame(opcode: number, payload: Buffer, o: { fin?: boolean; masked?: boolean } = {}): Buffer {
  const fin = o.fin ?? true;
  const masked = o.masked ?? true;
  const head = [(fin ? 0x80 : 0) | opcode];
  if (payload.length < 126) head.push((masked ? 0x80 : 0) | payload.length);
  else { head.push((masked ? 0x80 : 0) | 126, payload.length >> 8, payload.length & 0xff); }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** Reads until the server closes the TCP connection; returns the close code of a close frame, if any. */
function serverClose(s: net.Socket, ms = 3000): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const t = setTimeout(() => { s.destroy(); reject(new Error('server did not close the connection')); }, ms);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', () => {
      clearTimeout(t);
      const b = Buffer.concat(chunks);
      // find a close frame (opcode 8) from the server (unmasked)
      for (let i = 0; i + 3 < b.length; i++) {
        if (b[i] === 0x88 && b[i + 1]! >= 2 && b[i + 1]! < 126) { resolve(b.readUInt16BE(i + 2)); return; }
      }
      resolve(undefined);
    });
    s.on('error', () => undefined);
  });
}

test('bad frames from a client close only that connection', async () => {
  const bystander = await connect('/woh/echo');
  // invalid UTF-8 in a text frame
  const a = await rawSocket('/woh/echo');
  a.write(frame(0x1, Buffer.from([0x68, 0xff, 0xfe, 0x69])));
  const codeA = await serverClose(a);
  assert.ok(codeA === undefined || codeA === 1007 || codeA === 1002, `bad UTF-8: close code ${codeA}`);
  // unmasked client frames (uWS does not check the mask bit: it reads a mask key from the
  // payload, which turns the text into invalid UTF-8, and drops the connection)
  const b = await rawSocket('/woh/echo');
  b.write(Buffer.concat([frame(0x1, Buffer.from('hello'), { masked: false }), frame(0x1, Buffer.from('world'), { masked: false }), Buffer.alloc(16, 0x41)]));
  const codeB = await serverClose(b);
  assert.ok(codeB === undefined || codeB === 1002 || codeB === 1007, `unmasked: close code ${codeB}`);
  // a reserved opcode
  const c = await rawSocket('/woh/echo');
  c.write(frame(0x3, Buffer.from('??')));
  const codeC = await serverClose(c);
  assert.ok(codeC === undefined || codeC === 1002, `reserved opcode: close code ${codeC}`);
  await assertAlive(bystander, 'after bad frames');
  bystander.ws.close();
});

test('garbage on the ws-control socket is ignored by the proxy', async () => {
  const c = await connect('/woh/echo?ch=wsc');
  // The proxy binds the PULL the handler's items arrive on (`handler_ws_control_in_spec`), so a
  // test can connect a PUSH to it. The other direction's PULL is the handler's, connected to the
  // proxy's bound PUSH: nothing can be injected there from outside (a PUSH connecting to a PUSH
  // fails its handshake and then blocks every send). The handler's process test feeds that side.
  const push = new zmq.Push({ linger: 0, sendTimeout: 3000 });
  push.connect(`ipc://${r.dir}/run/pushpin-ws-control-in`);
  await push.send('garbage');
  await push.send(tnEncode({ from: 'x', items: [{ cid: 'nope', type: 'send', message: 'hi' }, { type: 'close' }, 'str'] }));
  await push.send(tnEncode({ from: 'x', items: [{ cid: lastCid(), type: 'send', message: 42 }] }));
  await push.send(['two', 'frames']);
  await sleep(300);
  push.close();
  await publish(r, [{ channel: 'wsc', formats: { 'ws-message': { content: 'still works' } } }]);
  assert.equal((await c.next()).text, 'still works');
  await assertAlive(c, 'and echoes');
  c.ws.close();
});

test('a client vanishing mid-message: the backend gets DISCONNECT, others are unaffected', async () => {
  const bystander = await connect('/woh/echo');
  const s = await rawSocket('/woh/echo');
  const cid = lastCid();
  s.write(frame(0x1, Buffer.from('first half '), { fin: false }));
  await sleep(100);
  s.destroy();
  await until(() => hitsFor(cid).some((h) => h.events.some((e) => e.type === 'DISCONNECT')), 3000, 'DISCONNECT');
  assert.ok(!hitsFor(cid).some((h) => h.events.some((e) => e.type === 'TEXT')), 'half a message reached the backend');
  await assertAlive(bystander, 'after vanish');
  bystander.ws.close();
});
