// Proxying to a real backend: passthrough, bodies, and a backend that misbehaves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort, request, sleep, startBackend, startRunner, type Running } from '../helpers/index.js';

let r: Running;
let backend: Awaited<ReturnType<typeof startBackend>>;
let garbage: net.Server;
let early: net.Server;
let deadPort: number;

before(async () => {
  backend = await startBackend((req, res, body) => {
    if (req.url?.startsWith('/slow')) { setTimeout(() => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('slow-ok'); }, 1500); return; }
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Backend': 'yes' });
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: body.toString('base64') }));
  });
  garbage = net.createServer((c) => { c.on('data', () => { c.end('this is not HTTP at all\r\n\r\n'); }); c.on('error', () => undefined); });
  await new Promise<void>((res) => garbage.listen(0, '127.0.0.1', () => res()));
  early = net.createServer((c) => { c.on('data', () => { c.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial'); }); c.on('error', () => undefined); });
  await new Promise<void>((res) => early.listen(0, '127.0.0.1', () => res()));
  deadPort = await freePort();
  r = await startRunner({
    routes: [
      `*,path_beg=/garbage/ 127.0.0.1:${(garbage.address() as net.AddressInfo).port}`,
      `*,path_beg=/early/ 127.0.0.1:${(early.address() as net.AddressInfo).port}`,
      `*,path_beg=/dead/ 127.0.0.1:${deadPort}`,
      `* 127.0.0.1:${backend.port}`,
    ],
  });
});
after(async () => { await r?.stop(); await backend?.close(); garbage?.close(); early?.close(); });

test('GET is proxied with path, query and a Grip-Sig', async () => {
  const res = await request(r.httpPort, { path: '/a/b?x=1&y=%20z', headers: { 'X-Test': 'v' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-backend'], 'yes');
  const j = JSON.parse(res.text);
  assert.equal(j.url, '/a/b?x=1&y=%20z');
  assert.equal(j.headers['x-test'], 'v');
  assert.ok(j.headers['grip-sig'], 'no Grip-Sig on the proxied request');
  assert.equal(j.headers['x-forwarded-for'], '127.0.0.1');
});

test('POST body reaches the backend byte-exact', async () => {
  const body = Buffer.from([...Array(256).keys()]);
  const res = await request(r.httpPort, { method: 'POST', path: '/post', body, headers: { 'Content-Length': '256' } });
  const j = JSON.parse(res.text);
  assert.equal(j.method, 'POST');
  assert.ok(Buffer.from(j.body, 'base64').equals(body));
});

test('a slow backend is waited for', async () => {
  const t0 = Date.now();
  const res = await request(r.httpPort, { path: '/slow', timeout: 8000 });
  assert.equal(res.text, 'slow-ok');
  assert.ok(Date.now() - t0 >= 1400);
});

test('a backend that is down gives 502 and the proxy keeps serving', async () => {
  const res = await request(r.httpPort, { path: '/dead/x', timeout: 10000 });
  assert.equal(res.status, 502);
  assert.equal(res.text, 'Error while proxying to origin.\n');
  assert.equal((await request(r.httpPort, { path: '/after' })).status, 200);
});

test('a backend answering garbage gives 502', async () => {
  const res = await request(r.httpPort, { path: '/garbage/x', timeout: 10000 });
  assert.equal(res.status, 502);
  assert.equal((await request(r.httpPort, { path: '/after2' })).status, 200);
});

test('a backend closing mid-body does not hang the client or the proxy', async () => {
  const outcome = await request(r.httpPort, { path: '/early/x', timeout: 10000 }).then((x) => `status ${x.status} len ${x.body.length}`, (e: Error) => `error ${e.message}`);
  assert.ok(!/timed out/.test(outcome), outcome);
  assert.ok(!/len 100$/.test(outcome), `a truncated body was passed off as complete: ${outcome}`);
  await sleep(100);
  assert.equal((await request(r.httpPort, { path: '/after3' })).status, 200);
});
