import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { rawExchange, request, sleep, startConnmgr, startResponder, waitFor, within, type Connmgr, type Responder } from './helpers.js';

let cm: Connmgr;
let rsp: Responder;

before(async () => {
  cm = await startConnmgr(['--buffer-size=2048', '--stream-maxconn=4']);
  rsp = await startResponder(cm.base, 'fakeproxy');
});
after(async () => {
  rsp?.close();
  const problems = cm?.problems() ?? [];
  await cm?.stop();
  assert.deepEqual(problems, [], 'no errors logged by connmgr');
});

async function notForwarded(): Promise<void> {
  const before = rsp.sessions.length;
  await sleep(300);
  assert.equal(rsp.sessions.length, before, 'request must not reach the responder');
}

test('request head larger than --buffer-size is refused with 431 and not forwarded', async () => {
  const before = rsp.sessions.length;
  const r = await rawExchange(cm.port, `GET /big HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(3000)}\r\n\r\n`);
  assert.match(r.text, /^HTTP\/1\.1 431 /);
  assert.equal(r.closed, true);
  await notForwarded();
  assert.equal(rsp.sessions.length, before);
  // just under the limit goes through
  const ok = request(cm.port, { path: '/fits', headers: { 'X-Fits': 'a'.repeat(1500) } });
  const s = await rsp.nextSession();
  s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('ok'));
  assert.equal((await within(ok, 3000, 'response')).status, 200);
});

const malformed: Array<[string, string, RegExp | null]> = [
  ['bad header line', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', null],
  ['garbage request line (uWS answers 505)', 'GARBAGE\r\n\r\n', /^HTTP\/1\.1 505 /],
  ['conflicting Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', /^HTTP\/1\.1 400 /],
  ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', /^HTTP\/1\.1 400 /],
  ['unknown Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', /^HTTP\/1\.1 400 /],
  ['non-numeric Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n', /^HTTP\/1\.1 400 /],
  ['missing Host', 'GET / HTTP/1.1\r\n\r\n', null],
  ['HTTP/1.0 (uWS answers 505: known limit)', 'GET / HTTP/1.0\r\nHost: x\r\n\r\n', /^HTTP\/1\.1 505 /],
];

for (const [name, data, expect] of malformed) {
  test(`malformed request (${name}) is refused and never forwarded`, async () => {
    const r = await rawExchange(cm.port, data);
    if (expect) {
      assert.match(r.text, expect);
      assert.equal(r.closed, true, 'connection closed');
    } else {
      // uWS stops parsing such a connection and drops it at its idle timeout (~10 s)
      assert.equal(r.text, '', 'no response');
    }
    await notForwarded();
  });
}

test('connections beyond --stream-maxconn get 503 and are closed', async () => {
  const idle: net.Socket[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const c = net.connect(cm.port, '127.0.0.1');
      c.on('error', () => undefined);
      await new Promise((r) => c.once('connect', r));
      idle.push(c);
    }
    await sleep(100);
    const r = await rawExchange(cm.port, 'GET /over HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 503 /);
    assert.equal(r.closed, true);
    await notForwarded();
  } finally {
    for (const c of idle) c.destroy();
  }
  // once they are gone, requests flow again
  await sleep(100);
  const ok = request(cm.port, { path: '/after' });
  const s = await rsp.nextSession();
  s.respond({ code: 200, reason: 'OK', headers: [] });
  assert.equal((await within(ok, 3000, 'response')).status, 200);
});

test('a warning names refused requests in the log', async () => {
  await waitFor(() => cm.logs.some((l) => l['level'] === 40 && String(l['msg']).includes('431')), 'a 431 warning line');
});
