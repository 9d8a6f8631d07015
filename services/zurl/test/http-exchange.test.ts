import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { exchange, readBody, startBackend, startInitiator, startZurl, wait, within, type Backend, type Initiator, type ZurlProc } from './helpers.js';

let z: ZurlProc;
let i: Initiator;
const backends: Backend[] = [];

before(async () => {
  z = await startZurl();
  i = await startInitiator(z);
});
after(async () => {
  i?.close();
  await Promise.all(backends.map((b) => b.close()));
  await z?.stop();
});

async function backend(h: Parameters<typeof startBackend>[0]): Promise<Backend> {
  const b = await startBackend(h);
  backends.push(b);
  return b;
}

const local = (b: Backend) => ({ connectHost: '127.0.0.1', connectPort: b.port, ignorePolicies: true });

test('GET through connect-host/port keeps Host, header case and the status text', async () => {
  let seen: IncomingMessage | undefined;
  const b = await backend((req, res) => {
    seen = req;
    res.writeHead(203, 'Fine Thanks', { 'X-Reply-Case': 'Yes', 'Content-Type': 'text/plain' });
    res.end('hello');
  });
  const x = await exchange(i, {
    method: 'GET', uri: 'http://backend.example:1234/path?q=1', stream: true, credits: 200000,
    headers: [['Host', 'backend.example:1234'], ['X-Mixed-Case', 'v1'], ['Connection', 'keep-alive'], ['Accept', '*/*']],
    ...local(b),
  });
  assert.equal(x.error, undefined);
  assert.equal(x.code, 203);
  assert.equal(x.reason, 'Fine Thanks');
  assert.ok(x.headers.some(([n, v]) => n === 'X-Reply-Case' && v === 'Yes'), JSON.stringify(x.headers));
  assert.equal(x.body.toString(), 'hello');
  assert.equal(seen?.headers.host, 'backend.example:1234');
  assert.equal(seen?.url, '/path?q=1');
  assert.ok(seen?.rawHeaders.includes('X-Mixed-Case'));
  // first packet from zurl is an early keep-alive carrying its `from`
  const mine = i.packets.filter((p) => p.id === x.session.id);
  assert.equal(mine[0]?.type, 'keep-alive');
  assert.equal(mine[0]?.from, z.id);
  assert.equal(mine[0]?.seq, 0);
});

test('POST body streamed in several packets, beyond the initial credit window, with Content-Length', async () => {
  const total = 300_000;
  const body = randomBytes(total);
  let got: Buffer | undefined;
  let cl: string | undefined;
  const b = await backend(async (req, res) => {
    cl = req.headers['content-length'];
    got = await readBody(req);
    res.end(`got ${got.length}`);
  });
  const x = await exchange(i, {
    method: 'POST', uri: `http://127.0.0.1:${b.port}/upload`, stream: true, credits: 200000,
    headers: [['Content-Length', String(total)], ['Content-Type', 'application/octet-stream']],
    body: body.subarray(0, 1000), more: true, ...local(b),
  }, {
    afterStart: (s) => {
      // the library holds these until zurl's credits allow them
      s.write(body.subarray(1000, 100_000), true);
      s.write(body.subarray(100_000, 250_000), true);
      s.write(body.subarray(250_000), false);
    },
  });
  assert.equal(x.error, undefined, JSON.stringify(x.error));
  assert.equal(x.code, 200);
  assert.equal(x.body.toString(), `got ${total}`);
  assert.equal(cl, String(total));
  assert.ok(got?.equals(body), 'backend received the exact body');
  const mine = i.packets.filter((p) => p.id === x.session.id);
  assert.equal(mine[0]?.type, 'credit', 'body still coming: first packet grants credits');
  assert.equal(mine[0]?.credits, 200000);
});

test('POST body without Content-Length is sent chunked', async () => {
  let te: string | undefined;
  let got = '';
  const b = await backend(async (req, res) => { te = req.headers['transfer-encoding']; got = (await readBody(req)).toString(); res.end('ok'); });
  const x = await exchange(i, {
    method: 'POST', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [], body: Buffer.from('ab'), more: true, ...local(b),
  }, { afterStart: (s) => { s.write(Buffer.from('cd'), true); setTimeout(() => s.write(Buffer.from('ef'), false), 200); } });
  assert.equal(x.code, 200);
  assert.equal(got, 'abcdef');
  assert.equal(te, 'chunked');
});

test('1 MiB response streams under small credits, complete and in order', async () => {
  const big = randomBytes(1024 * 1024);
  const b = await backend((_req, res) => {
    res.writeHead(200, { 'Content-Length': String(big.length) });
    // several writes so undici sees many chunks
    for (let off = 0; off < big.length; off += 50_000) res.write(big.subarray(off, off + 50_000));
    res.end();
  });
  const window = 16384;
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/big`, stream: true, credits: window, headers: [], ...local(b) }, { timeoutMs: 20_000 });
  assert.equal(x.code, 200);
  assert.equal(x.body.length, big.length);
  assert.ok(x.body.equals(big), 'bytes in order');
  assert.ok(x.pieces.every((p) => p.length <= window), 'no packet exceeds the credit window');
  assert.ok(x.pieces.length >= big.length / window, `split into ${x.pieces.length} packets`);
  assert.ok(x.headers.some(([n, v]) => n.toLowerCase() === 'content-length' && v === String(big.length)));
});

test('slow backend (2 s) is waited for', async () => {
  const b = await backend((_req, res) => { setTimeout(() => res.end('late'), 2000); });
  const t0 = Date.now();
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/slow`, stream: true, credits: 200000, headers: [], ...local(b) });
  assert.equal(x.body.toString(), 'late');
  assert.ok(Date.now() - t0 >= 1900);
});

test('two Set-Cookie headers stay separate', async () => {
  const b = await backend((_req, res) => {
    res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
    res.end();
  });
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/c`, stream: true, credits: 200000, headers: [], ...local(b) });
  const cookies = x.headers.filter(([n]) => n.toLowerCase() === 'set-cookie').map(([, v]) => v);
  assert.deepEqual(cookies, ['a=1; Path=/', 'b=2; HttpOnly']);
});

test('binary body round trip (all byte values)', async () => {
  const bytes = Buffer.alloc(512);
  for (let k = 0; k < bytes.length; k++) bytes[k] = k & 255;
  const b = await backend(async (req, res) => {
    const got = await readBody(req);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(got);
  });
  const x = await exchange(i, { method: 'PUT', uri: `http://127.0.0.1:${b.port}/bin`, stream: true, credits: 200000, headers: [['Content-Type', 'application/octet-stream']], body: bytes, ...local(b) });
  assert.ok(x.body.equals(bytes));
});

test('non-stream request gets the whole response in one packet regardless of credits', async () => {
  const payload = randomBytes(100_000);
  const b = await backend((_req, res) => { res.write(payload.subarray(0, 30_000)); setTimeout(() => res.end(payload.subarray(30_000)), 50); });
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/ns`, credits: 1000, headers: [], ...local(b) });
  assert.equal(x.pieces.length, 1);
  assert.ok(x.body.equals(payload));
});

test('cancel from the initiator aborts the backend request', async () => {
  let arrived!: () => void;
  const gotReq = new Promise<void>((r) => { arrived = r; });
  let closed!: () => void;
  const backendClosed = new Promise<void>((r) => { closed = r; });
  const b = await backend((req, res) => {
    res.writeHead(200);
    res.write('partial');
    req.socket.on('close', () => closed());
    arrived();
  });
  const s = i.init.open();
  s.ondata = () => undefined;
  s.start({ method: 'GET', uri: `http://127.0.0.1:${b.port}/hang`, stream: true, credits: 200000, headers: [], ...local(b) });
  await within(gotReq, 5000, 'backend request');
  await wait(100);
  s.cancel();
  await within(backendClosed, 3000, 'backend sees the connection close');
});

test('HEAD and 204/304 responses end without a body', async () => {
  const b = await backend((req, res) => {
    if (req.url === '/204') { res.writeHead(204); res.end(); return; }
    res.writeHead(200, { 'Content-Length': '10' });
    res.end();
  });
  const h = await exchange(i, { method: 'HEAD', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [], ...local(b) });
  assert.equal(h.code, 200);
  assert.equal(h.body.length, 0);
  const n = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/204`, stream: true, credits: 200000, headers: [], ...local(b) });
  assert.equal(n.code, 204);
  assert.equal(n.body.length, 0);
});

test('keep-alive connections are reused across requests', async () => {
  const ports = new Set<number>();
  const b = await backend((req, res) => { ports.add(req.socket.remotePort ?? 0); res.end('x'); });
  for (let k = 0; k < 3; k++) {
    const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/k`, stream: true, credits: 200000, headers: [], ...local(b) });
    assert.equal(x.code, 200);
  }
  assert.equal(ports.size, 1);
});

test('without credits zurl stops reading the backend (back-pressure), then resumes', async () => {
  const size = 16 * 1024 * 1024;
  let finished = false;
  const b = await backend((_req, res) => {
    res.writeHead(200, { 'Content-Length': String(size) });
    res.on('finish', () => { finished = true; });
    res.end(Buffer.alloc(size, 0x62));
  });
  const s = i.init.open();
  let got = 0;
  let last!: () => void;
  const done = new Promise<void>((r) => { last = r; });
  let granting = false;
  const take = (p: { body?: Buffer; more?: boolean }): void => {
    got += p.body?.length ?? 0;
    if (granting && p.body?.length) s.credit(p.body.length);
    if (!p.more) last();
  };
  s.onresponse = take;
  s.ondata = take;
  s.start({ method: 'GET', uri: `http://127.0.0.1:${b.port}/bp`, stream: true, credits: 16384, headers: [], ...local(b) });
  await wait(1000);
  assert.equal(got, 16384, 'only the granted window was sent');
  assert.equal(finished, false, 'backend is held back by TCP flow control');
  granting = true;
  s.credit(1024 * 1024);
  await within(done, 20_000, 'rest of the body');
  assert.equal(got, size);
});

test('follow-redirects: same-origin and cross-origin hops are followed; 302 passed through without it', async () => {
  const other = await backend((req, res) => { res.end(`other ${req.url} ${req.headers.host}`); });
  const b = await backend((req, res) => {
    if (req.url === '/start') { res.writeHead(302, { Location: '/next' }); res.end('moved'); return; }
    if (req.url === '/next') { res.writeHead(307, { Location: `http://127.0.0.1:${other.port}/final` }); res.end(); return; }
    if (req.url === '/loop') { res.writeHead(302, { Location: '/loop' }); res.end(); return; }
    res.end('?');
  });
  const base = { method: 'GET', stream: true, credits: 200000, headers: [['Host', 'svc.example']] as Array<[string, string]>, ...local(b) };
  const x = await exchange(i, { ...base, uri: 'http://svc.example/start', followRedirects: true });
  assert.equal(x.code, 200);
  assert.equal(x.body.toString(), `other /final 127.0.0.1:${other.port}`);
  const plain = await exchange(i, { ...base, uri: 'http://svc.example/start' });
  assert.equal(plain.code, 302);
  assert.equal(plain.body.toString(), 'moved');
  const loop = await exchange(i, { ...base, uri: 'http://svc.example/loop', followRedirects: true });
  assert.equal(loop.error?.condition, 'too-many-redirects');
});

test('encoded responses are decoded; hop-by-hop and encoding headers are not relayed', async () => {
  const zlib = await import('node:zlib');
  const text = Buffer.from('compressible '.repeat(4000));
  const b = await backend((req, res) => {
    if (req.url === '/gz') { const z = zlib.gzipSync(text); res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': String(z.length), 'X-K': '1' }); res.end(z); return; }
    if (req.url === '/br') { res.writeHead(200, { 'Content-Encoding': 'br' }); res.end(zlib.brotliCompressSync(text)); return; }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('chunk1-');
    res.end('chunk2');
  });
  for (const path of ['/gz', '/br']) {
    const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}${path}`, stream: true, credits: 8192, headers: [['Accept-Encoding', 'gzip, br']], ...local(b) });
    assert.ok(x.body.equals(text), `${path} decoded`);
    const names = x.headers.map(([n]) => n.toLowerCase());
    assert.ok(!names.includes('content-encoding') && !names.includes('content-length'), `${path}: ${names.join(',')}`);
  }
  const c = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/chunked`, stream: true, credits: 200000, headers: [], ...local(b) });
  assert.equal(c.body.toString(), 'chunk1-chunk2');
  const names = c.headers.map(([n]) => n.toLowerCase());
  assert.ok(!names.includes('transfer-encoding') && !names.includes('connection') && !names.includes('keep-alive'), names.join(','));
  assert.ok(names.includes('content-type'));
});
