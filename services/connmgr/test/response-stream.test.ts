import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { creditsFrom, startConnmgr, startResponder, waitFor, within, type Connmgr, type Responder } from './helpers.js';

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

test('chunked streaming response: chunks reach the client in order and credits equal bytes written', async () => {
  const got: string[] = [];
  let headers: http.IncomingHttpHeaders | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: cm.port, path: '/stream', agent: false }, (res) => {
      headers = res.headers;
      res.on('data', (c: Buffer) => got.push(c.toString()));
      res.on('end', resolve);
    });
    req.on('error', reject);
  });
  const s = await rsp.nextSession();
  const id = s.id;
  s.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain'], ['Grip-Ignored', 'x']] }, Buffer.from('stream open\n'), true);
  await waitFor(() => got.join('') === 'stream open\n', 'first chunk at the client');
  assert.equal(headers!['transfer-encoding'], 'chunked');
  await waitFor(() => creditsFrom(rsp.packets, id) === 12, 'credit for the first 12 bytes');
  s.write(Buffer.from('published!\n'), true);
  await waitFor(() => got.join('') === 'stream open\npublished!\n', 'second chunk');
  await waitFor(() => creditsFrom(rsp.packets, id) === 23, 'credit for 11 more bytes');
  const credits = rsp.packets.filter(({ p }) => p.id === id && p.type === 'credit').map(({ p }) => p.credits);
  assert.deepEqual(credits, [12, 11], 'one credit per chunk, exactly the bytes written');
  s.write(Buffer.from('bye\n'), false);
  await within(ended, 3000, 'end of response');
  assert.equal(got.join(''), 'stream open\npublished!\nbye\n');
});

test('empty first packet with more still sends the head at once', async () => {
  let status = 0;
  const headSeen = new Promise<void>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: cm.port, path: '/held', agent: false }, (res) => {
      status = res.statusCode!;
      resolve();
      res.resume();
    });
    req.on('error', reject);
  });
  const s = await rsp.nextSession();
  s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.alloc(0), true);
  await within(headSeen, 3000, 'response head');
  assert.equal(status, 200);
  s.write(Buffer.alloc(0), false);
});

test('streaming with the responder Content-Length keeps length framing', async () => {
  const data = randomBytes(300_000);
  const res = new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: cm.port, path: '/file', agent: false }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
  const s = await rsp.nextSession();
  s.respond({ code: 200, reason: 'OK', headers: [['Content-Length', String(data.length)]] }, data.subarray(0, 1000), true);
  s.write(data.subarray(1000), false); // the session layer splits it to fit connmgr's credits
  const r = await within(res, 5000, 'length-delimited body');
  assert.equal(r.headers['content-length'], String(data.length));
  assert.equal(r.headers['transfer-encoding'], undefined);
  assert.ok(r.body.equals(data));
});

test('stream opened without body (self-framed chunks) survives a slow client intact', async () => {
  const total = 8 * 1024 * 1024;
  const c = net.connect(cm.port, '127.0.0.1');
  c.pause();
  c.write('GET /slow-raw HTTP/1.1\r\nHost: x\r\n\r\n');
  const s = await rsp.nextSession();
  const data = randomBytes(total);
  s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.alloc(0), true);
  for (let i = 0; i < total; i += 50_000) s.write(data.subarray(i, i + 50_000), true);
  s.write(Buffer.alloc(0), false);
  await new Promise((r) => setTimeout(r, 500));
  const parts: Buffer[] = [];
  let tail = '';
  c.on('data', (d: Buffer) => { parts.push(d); tail = (tail + d.subarray(-256).toString('latin1')).slice(-256); });
  c.resume();
  await waitFor(() => tail.includes('\r\n0;p=": "\r\n'), 'last chunk', 10000);
  const raw = Buffer.concat(parts);
  const headEnd = raw.indexOf('\r\n\r\n');
  assert.match(raw.subarray(0, headEnd).toString(), /transfer-encoding: chunked/i);
  let at = headEnd + 4;
  const body: Buffer[] = [];
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, eol).toString(), 16);
    if (size === 0) break;
    body.push(raw.subarray(eol + 2, eol + 2 + size));
    assert.equal(raw.subarray(eol + 2 + size, eol + 4 + size).toString(), '\r\n');
    at = eol + 4 + size;
  }
  assert.ok(Buffer.concat(body).equals(data), 'body intact');
  c.destroy();
});

test('slow client with a Content-Length stream: back-pressure, then the exact body', async () => {
  const total = 64 * 1024 * 1024;
  const c = net.connect(cm.port, '127.0.0.1');
  c.pause();
  c.write('GET /slow-len HTTP/1.1\r\nHost: x\r\n\r\n');
  const s = await rsp.nextSession();
  const id = s.id;
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  s.respond({ code: 200, reason: 'OK', headers: [['Content-Length', String(total)]] }, Buffer.alloc(0), true);
  for (let i = 0; i < total / chunk.length; i++) s.write(chunk, i < total / chunk.length - 1);
  let last = -1;
  const stalled = await waitFor(() => {
    const now = creditsFrom(rsp.packets, id);
    const stable = now === last;
    last = now;
    return stable && now > 0 ? now : undefined;
  }, 'credits to stop growing', 15000, 700);
  assert.ok(stalled < total, `credits while the client reads nothing: ${stalled}`);
  let received = 0;
  let head = '';
  c.on('data', (d: Buffer) => { if (!head) head = d.subarray(0, 200).toString('latin1'); received += d.length; });
  c.resume();
  await waitFor(() => received >= total + head.indexOf('\r\n\r\n') + 4 && head.length > 0, 'the whole body', 30000);
  assert.match(head, new RegExp(`content-length: ${total}`, 'i'));
  c.destroy();
});
