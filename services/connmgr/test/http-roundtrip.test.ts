import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { request, startConnmgr, startResponder, within, type Connmgr, type Responder } from './helpers.js';

let cm: Connmgr;
let rsp: Responder;

before(async () => {
  cm = await startConnmgr([], 'cm-rt');
  rsp = await startResponder(cm.base, 'fakeproxy');
});
after(async () => {
  rsp?.close();
  const problems = cm?.problems() ?? [];
  const code = await cm?.stop();
  assert.equal(code, 0, 'connmgr exits 0 on SIGTERM');
  assert.deepEqual(problems, [], 'no errors logged by connmgr');
});

test('GET round trip: first packet fields and response with reason and Content-Length', async () => {
  const pending = request(cm.port, { path: '/path/a%20b?q=1&x=%2F', headers: { 'User-Agent': 'test-ua', 'X-Multi': ['1', '2'] } });
  const s = await rsp.nextSession();
  const r = s.request!;
  assert.equal(r.method, 'GET');
  assert.equal(r.uri, `http://127.0.0.1:${cm.port}/path/a%20b?q=1&x=%2F`);
  assert.equal(r.stream, true);
  assert.equal(r.credits, 8192);
  assert.equal(r.more, undefined);
  assert.equal(r.peerAddress, '127.0.0.1');
  assert.equal(r.multi, true);
  assert.equal(r.from, 'cm-rt');
  assert.equal(typeof r.id, 'string');
  assert.match(r.id as string, /^[0-9a-f]+-[0-9a-f]+$/);
  const names = r.headers!.map(([k]) => k);
  assert.deepEqual(names.slice(0, 2), ['user-agent', 'x-multi'], 'client order kept');
  assert.deepEqual(r.headers!.filter(([k]) => k === 'x-multi').map(([, v]) => v), ['1', '2'], 'repeated headers stay separate');
  assert.ok(r.headers!.some(([k, v]) => k === 'host' && v === `127.0.0.1:${cm.port}`));
  s.respond({ code: 404, reason: 'Nope', headers: [['Content-Type', 'text/plain'], ['X-Thing', 'a'], ['Connection', 'x-drop'], ['X-Drop', '1'], ['Transfer-Encoding', 'chunked']] }, Buffer.from('not here\n'));
  const res = await within(pending, 3000, 'response');
  assert.equal(res.status, 404);
  assert.equal(res.statusMessage, 'Nope');
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['x-thing'], 'a');
  assert.equal(res.headers['content-length'], '9');
  assert.equal(res.headers['x-drop'], undefined, 'headers named in Connection are hop-by-hop');
  assert.equal(res.headers['transfer-encoding'], undefined);
  assert.equal(res.body.toString(), 'not here\n');
});

test('raw path and query are passed byte for byte; "?" with empty query is kept', async () => {
  for (const target of ['/a/../b//c?', '/%7Euser/x;p?a=%zz&b', '/caf\xc3\xa9']) {
    const c = net.connect(cm.port, '127.0.0.1');
    c.on('error', () => undefined);
    c.write(Buffer.from(`GET ${target} HTTP/1.1\r\nHost: h.example\r\n\r\n`, 'latin1'));
    const s = await rsp.nextSession();
    assert.equal(s.request!.uri, `http://h.example${target}`);
    s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('ok'));
    c.destroy();
  }
});

test('keep-alive: three requests on one connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  try {
    for (let i = 0; i < 3; i++) {
      const pending = new Promise<string>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: cm.port, path: `/ka/${i}`, agent }, (res) => {
          sockets.add(res.socket);
          let body = '';
          res.on('data', (c: Buffer) => { body += c.toString(); });
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
      const s = await rsp.nextSession();
      assert.equal(s.request!.uri, `http://127.0.0.1:${cm.port}/ka/${i}`);
      s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from(`reply ${i}`));
      assert.equal(await within(pending, 3000, `keep-alive response ${i}`), `reply ${i}`);
    }
    assert.equal(sockets.size, 1, 'one TCP connection served all three');
  } finally {
    agent.destroy();
  }
});

test('HEAD and 204 responses carry no body; HEAD keeps the Content-Length', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const head = request(cm.port, { method: 'HEAD', path: '/h', agent });
    const s1 = await rsp.nextSession();
    assert.equal(s1.request!.method, 'HEAD');
    s1.respond({ code: 200, reason: 'OK', headers: [['Content-Length', '42'], ['Content-Type', 'text/plain']] });
    const r1 = await within(head, 3000, 'HEAD response');
    assert.equal(r1.headers['content-length'], '42');
    assert.equal(r1.body.length, 0);
    const nc = request(cm.port, { path: '/nc', agent });
    const s2 = await rsp.nextSession();
    s2.respond({ code: 204, reason: 'No Content', headers: [] });
    const r2 = await within(nc, 3000, '204 response');
    assert.equal(r2.status, 204);
    assert.equal(r2.headers['content-length'], undefined);
    // the connection is still usable after both
    const again = request(cm.port, { path: '/again', agent });
    const s3 = await rsp.nextSession();
    s3.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('fine'));
    assert.equal((await within(again, 3000, 'third response')).body.toString(), 'fine');
  } finally {
    agent.destroy();
  }
});

test('Connection: close from the client is answered with one Connection: close (as condure), whole or streamed', async () => {
  const raw = async (answer: (s: Awaited<ReturnType<typeof rsp.nextSession>>) => void, reqConn = 'close'): Promise<string> => {
    const c = net.connect(cm.port, '127.0.0.1');
    let got = '';
    c.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    c.on('error', () => undefined);
    c.write(`GET /conn-close HTTP/1.1\r\nHost: h\r\nConnection: ${reqConn}\r\n\r\n`);
    answer(await rsp.nextSession());
    await within(closed, 3000, 'the connection to close');
    return got;
  };
  const count = (text: string) => text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').filter((l) => /^connection:\s*close$/i.test(l)).length;
  const whole = await raw((s) => s.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain']] }, Buffer.from('whole')));
  assert.equal(count(whole), 1, whole);
  assert.ok(whole.endsWith('whole'));
  const asked = await raw((s) => s.respond({ code: 200, reason: 'OK', headers: [['Connection', 'close']] }, Buffer.from('both')));
  assert.equal(count(asked), 1, asked);
  const streamed = await raw((s) => {
    s.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain']] }, Buffer.from('a'), true);
    setTimeout(() => s.write(Buffer.from('b'), false), 50);
  });
  assert.equal(count(streamed), 1, streamed);
  assert.match(streamed, /\r\na\r\n[^]*\r\nb\r\n/, "both chunks arrived");
});
