// GRIP through a real backend: long-polling, streaming, keep-alives, instruct errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStream, publish, request, sleep, startBackend, startRunner, type Running } from '../helpers/index.js';

let r: Running;
let backend: Awaited<ReturnType<typeof startBackend>>;

before(async () => {
  backend = await startBackend((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const ch = u.searchParams.get('ch') ?? 'none';
    switch (u.pathname) {
      case '/lp':
        res.writeHead(202, { 'Content-Type': 'text/plain', 'Grip-Hold': 'response', 'Grip-Channel': ch, 'Grip-Timeout': u.searchParams.get('t') ?? '20', 'X-Orig': 'yes' });
        res.end('timeout-body\n');
        return;
      case '/stream':
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': ch, ...(u.searchParams.get('ka') ? { 'Grip-Keep-Alive': 'ka\\n; format=cstring; timeout=1' } : {}) });
        res.end('[open]\n');
        return;
      case '/bogus':
        res.writeHead(200, { 'Grip-Hold': 'bogus', 'Grip-Channel': ch });
        res.end('x');
        return;
      case '/instruct':
        res.writeHead(200, { 'Content-Type': 'application/grip-instruct' });
        res.end(JSON.stringify({ hold: { mode: 'stream', channels: [{ name: ch }] }, response: { code: 200, headers: { 'X-I': 'j' }, body: 'json-initial\n' } }));
        return;
      case '/badjson':
        res.writeHead(200, { 'Content-Type': 'application/grip-instruct' });
        res.end('{not json');
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  r = await startRunner({ routes: [`* 127.0.0.1:${backend.port}`] });
});
after(async () => { await r?.stop(); await backend?.close(); });

test('long-poll: publish answers the held request with merged headers', async () => {
  const pending = request(r.httpPort, { path: '/lp?ch=lp1', timeout: 10000 });
  await sleep(800);
  await publish(r, [{ channel: 'lp1', formats: { 'http-response': { headers: { 'X-Pub': 'p' }, body: 'hello\n' } } }]);
  const res = await pending;
  assert.equal(res.status, 200);
  assert.equal(res.text, 'hello\n');
  assert.equal(res.headers['x-pub'], 'p');
  assert.equal(res.headers['x-orig'], 'yes');
  assert.equal(res.headers['grip-hold'], undefined);
});

test('long-poll: Grip-Timeout serves the original response without Grip headers', async () => {
  const t0 = Date.now();
  const res = await request(r.httpPort, { path: '/lp?ch=lp2&t=1', timeout: 12000 });
  const el = Date.now() - t0;
  assert.ok(el >= 4500 && el < 8500, `timeout after ${el} ms, expected ~5 s (minimum)`);
  assert.equal(res.status, 202);
  assert.equal(res.text, 'timeout-body\n');
  for (const k of Object.keys(res.headers)) assert.ok(!k.startsWith('grip-'), `${k} leaked`);
});

test('stream: chunks in order, keep-alives while idle, close ends the response', async () => {
  const s = await openStream(r.httpPort, '/stream?ch=st1&ka=1');
  assert.equal(s.status, 200);
  await s.waitFor('[open]\n');
  await s.waitFor('ka\n', 4000);
  await publish(r, [{ channel: 'st1', formats: { 'http-stream': { content: 'one\n' } } }]);
  await publish(r, [{ channel: 'st1', formats: { 'http-stream': { content: 'two\n' } } }]);
  await s.waitFor('two\n');
  assert.ok(s.text().indexOf('one\n') < s.text().indexOf('two\n'));
  await publish(r, [{ channel: 'st1', formats: { 'http-stream': { action: 'close' } } }]);
  const deadline = Date.now() + 3000;
  while (!s.ended() && Date.now() < deadline) await sleep(50);
  assert.equal(s.ended(), true);
});

test('grip-instruct JSON stream hold', async () => {
  const s = await openStream(r.httpPort, '/instruct?ch=st2');
  assert.equal(s.headers['x-i'], 'j');
  await s.waitFor('json-initial\n');
  await sleep(200);
  await publish(r, [{ channel: 'st2', formats: { 'http-stream': { content: 'pub\n' } } }]);
  await s.waitFor('json-initial\npub\n');
  s.close();
});

test('invalid Grip-Hold gives 502 and the service keeps working', async () => {
  const res = await request(r.httpPort, { path: '/bogus?ch=x' });
  assert.equal(res.status, 502);
  assert.equal(res.text, 'Error while proxying to origin.\n');
  const bad = await request(r.httpPort, { path: '/badjson' });
  assert.equal(bad.status, 502);
  const s = await openStream(r.httpPort, '/stream?ch=st3');
  await s.waitFor('[open]\n');
  s.close();
});

test('a client leaving mid-stream does not disturb the others', async () => {
  const a = await openStream(r.httpPort, '/stream?ch=st4');
  const b = await openStream(r.httpPort, '/stream?ch=st4');
  await a.waitFor('[open]\n'); await b.waitFor('[open]\n');
  await sleep(200);
  a.close();
  await sleep(200);
  await publish(r, [{ channel: 'st4', formats: { 'http-stream': { content: 'after\n' } } }]);
  await b.waitFor('after\n');
  b.close();
});
