import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { request, startConnmgr, startResponder, waitFor, within, type Connmgr, type Responder } from './helpers.js';

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

const cancelled = (id: string): boolean => rsp.packets.some(({ p }) => p.id === id && p.type === 'cancel');

test('client disconnect before the response: connmgr cancels the session', async () => {
  const req = http.get({ host: '127.0.0.1', port: cm.port, path: '/wait', agent: false });
  req.on('error', () => undefined);
  const s = await rsp.nextSession();
  s.keepAlive(); // connmgr learns our address
  await waitFor(() => !!rsp.zr.sessions.size, 'session registered');
  // the keep-alive must reach connmgr before the client goes: until then connmgr has no
  // address to send the cancel to (it is dropped, as condure does); nothing observable
  // tells us it arrived, so give it time
  await new Promise((r) => setTimeout(r, 200));
  req.destroy();
  await waitFor(() => cancelled(s.id), 'cancel packet');
});

test('client disconnect mid-stream: connmgr cancels the session', async () => {
  let got = '';
  const req = http.get({ host: '127.0.0.1', port: cm.port, path: '/stream', agent: false }, (res) => {
    res.on('data', (c: Buffer) => { got += c.toString(); });
  });
  req.on('error', () => undefined);
  const s = await rsp.nextSession();
  s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('hi\n'), true);
  await waitFor(() => got === 'hi\n', 'first chunk');
  req.destroy();
  await waitFor(() => cancelled(s.id), 'cancel packet');
});

test('responder error before the response: 502 text/plain', async () => {
  const pending = request(cm.port, { path: '/err' });
  const s = await rsp.nextSession();
  s.error('remote-connection-failed');
  const res = await within(pending, 3000, '502 response');
  assert.equal(res.status, 502);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
});

test('responder cancel before the response: 502', async () => {
  const pending = request(cm.port, { path: '/cancelled' });
  const s = await rsp.nextSession();
  s.cancel();
  assert.equal((await within(pending, 3000, '502 response')).status, 502);
});

test('responder cancel mid-stream: the client connection is closed', async () => {
  let got = '';
  const closed = new Promise<{ complete: boolean }>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: cm.port, path: '/midcancel', agent: false }, (res) => {
      res.on('data', (c: Buffer) => { got += c.toString(); });
      res.on('close', () => resolve({ complete: res.complete }));
    });
    req.on('error', () => resolve({ complete: false }));
  });
  const s = await rsp.nextSession();
  s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('part\n'), true);
  await waitFor(() => got === 'part\n', 'first chunk');
  s.cancel();
  const r = await within(closed, 3000, 'connection close');
  assert.equal(r.complete, false, 'response must not look complete');
});
