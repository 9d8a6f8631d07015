import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePacket } from '@pushpin-ts/zhttp';
import { deadPort, exchange, startBackend, startInitiator, startZurl, within, type Backend, type Initiator, type ZurlProc } from './helpers.js';

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

test('backend down -> remote-connection-failed', async () => {
  const port = await deadPort();
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${port}/`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
  assert.equal(x.end, 'error');
  assert.equal(x.error?.condition, 'remote-connection-failed');
  // log lines are written asynchronously: poll briefly
  for (let k = 0; k < 40 && !z.logs.some((l) => l['condition'] === 'remote-connection-failed'); k++) await new Promise((r) => setTimeout(r, 50));
  const warn = z.logs.find((l) => l['condition'] === 'remote-connection-failed');
  assert.ok(warn, 'a warning names the condition');
  assert.equal(warn['level'], 40);
  assert.match(String(warn['uri']), new RegExp(`:${port}/`));
});

test('unknown host -> remote-connection-failed', async () => {
  const x = await exchange(i, { method: 'GET', uri: 'http://nonexistent.invalid/', stream: true, credits: 200000, headers: [], ignorePolicies: true });
  assert.equal(x.error?.condition, 'remote-connection-failed');
});

test('backend closing mid-body -> error after the data already sent', async () => {
  const b = await backend((req, res) => {
    res.writeHead(200, { 'Content-Length': '1000' });
    res.write('x'.repeat(100));
    setTimeout(() => req.socket.destroy(), 100);
  });
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [], ignorePolicies: true, connectHost: '127.0.0.1', connectPort: b.port });
  assert.equal(x.code, 200);
  assert.equal(x.body.toString(), 'x'.repeat(100));
  assert.equal(x.end, 'error');
  assert.equal(x.error?.condition, 'undefined-condition');
});

test('response larger than max-size -> max-size-exceeded', async () => {
  const b = await backend((_req, res) => { res.end('y'.repeat(5000)); });
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/`, credits: 200000, maxSize: 1000, headers: [], ignorePolicies: true });
  assert.equal(x.error?.condition, 'max-size-exceeded');
});

test('policy: 127.* is denied without ignore-policies', async () => {
  const b = await backend((_req, res) => { res.end('no'); });
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [] });
  assert.equal(x.error?.condition, 'policy-violation');
});

test('invalid header -> bad-request; unknown scheme -> cancel', async () => {
  const bad = await exchange(i, { method: 'GET', uri: 'http://127.0.0.1:1/', stream: true, credits: 1000, headers: [['Bad Name', 'x']], ignorePolicies: true });
  assert.equal(bad.error?.condition, 'bad-request');
  const scheme = await exchange(i, { method: 'GET', uri: 'ftp://127.0.0.1/', stream: true, credits: 1000, headers: [], ignorePolicies: true });
  assert.equal(scheme.end, 'cancel');
});

test('garbage packets are dropped and the service keeps working', async () => {
  const junk = [Buffer.from(''), Buffer.from('garbage'), Buffer.from('T3:abc,'), Buffer.from('T12:2:id,1:1,]'), Buffer.from('T10:2:id,1:1,}'),
    encodePacket({ id: 'x', from: 'nobody', seq: 0, type: 'credit', credits: 5 }),
    encodePacket({ id: 'y', from: i.init.instanceId, seq: 0, method: 'GET', uri: 'http://[bad/', headers: [] })];
  for (const j of junk) i.transport.sendFirst(j);
  for (const j of junk) i.transport.sendTo(z.id, j);
  const b = await backend((_req, res) => { res.end('alive'); });
  const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
  assert.equal(x.body.toString(), 'alive');
  assert.equal(z.child.exitCode, null);
});

test('garbage from the backend -> error, service keeps working', async () => {
  const net = await import('node:net');
  const srv = net.createServer((sock) => { sock.on('data', () => sock.end('NOT HTTP AT ALL\r\n\r\n')); sock.on('error', () => undefined); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const port = (srv.address() as { port: number }).port;
    const x = await exchange(i, { method: 'GET', uri: `http://127.0.0.1:${port}/`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
    assert.equal(x.end, 'error');
    assert.ok(x.error?.condition);
  } finally {
    srv.close();
  }
  assert.equal(z.child.exitCode, null);
});

test('max_open_requests is enforced', async () => {
  const z2 = await startZurl({ max_open_requests: '1' });
  const i2 = await startInitiator(z2);
  let release!: () => void;
  const hold = new Promise<void>((r) => { release = r; });
  const b = await backend((_req, res) => { void hold.then(() => res.end('done')); });
  try {
    const first = exchange(i2, { method: 'GET', uri: `http://127.0.0.1:${b.port}/1`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
    await new Promise((r) => setTimeout(r, 300));
    const second = await exchange(i2, { method: 'GET', uri: `http://127.0.0.1:${b.port}/2`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
    assert.equal(second.error?.condition, 'undefined-condition');
    release();
    assert.equal((await first).body.toString(), 'done');
    const third = await exchange(i2, { method: 'GET', uri: `http://127.0.0.1:${b.port}/3`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
    assert.equal(third.body.toString(), 'done', 'slot released after completion');
  } finally {
    release();
    i2.close();
    await z2.stop();
  }
});

test('SIGHUP is ignored; SIGTERM exits cleanly', async () => {
  const z3 = await startZurl();
  try {
    const exited = new Promise<[number | null, string | null]>((r) => z3.child.once('exit', (code, sig) => r([code, sig])));
    z3.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(z3.child.signalCode, null, 'not killed by SIGHUP');
    assert.equal(z3.child.exitCode, null);
    z3.child.kill('SIGTERM');
    assert.deepEqual(await within(exited, 5000, 'exit on SIGTERM'), [0, null]);
    assert.ok(z3.logs.some((l) => l['msg'] === 'zurl: stopping'));
  } finally {
    await z3.stop();
  }
});

test('inactivity beyond zurl.conf timeout -> session-timeout; packet timeout -> connection-timeout', async () => {
  const z4 = await startZurl({ timeout: '1' });
  const i4 = await startInitiator(z4);
  const b = await backend(() => undefined); // never answers
  try {
    const t0 = Date.now();
    const x = await exchange(i4, { method: 'GET', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [], ignorePolicies: true });
    assert.equal(x.error?.condition, 'session-timeout');
    assert.ok(Date.now() - t0 >= 900);
    const y = await exchange(i4, { method: 'GET', uri: `http://127.0.0.1:${b.port}/`, stream: true, credits: 200000, headers: [], ignorePolicies: true, timeout: 300 });
    assert.equal(y.error?.condition, 'connection-timeout');
  } finally {
    i4.close();
    await z4.stop();
  }
});
