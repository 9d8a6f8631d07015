import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ResponderSession } from '@pushpin-ts/zhttp';
import { request, sleep, startConnmgr, startResponder, waitFor, within, type Connmgr, type Responder } from './helpers.js';

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

function collect(s: ResponderSession): { chunks: Buffer[]; done: Promise<Buffer> } {
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => {
    s.ondata = (p) => {
      if (p.body?.length) chunks.push(p.body);
      if (!p.more) resolve(Buffer.concat(chunks));
    };
  });
  return { chunks, done };
}

test('POST body waits for credits and is sent in credit-sized pieces', async () => {
  const pending = request(cm.port, { method: 'POST', path: '/post', body: 'hello world', headers: { 'Content-Type': 'text/plain', 'Content-Length': '11' } });
  const s = await rsp.nextSession();
  assert.equal(s.request!.method, 'POST');
  assert.equal(s.request!.more, true, 'more body follows');
  assert.equal(s.request!.body?.length ?? 0, 0, 'no body before credits');
  assert.ok(s.request!.headers!.some(([k, v]) => k === 'content-length' && v === '11'));
  const got = collect(s);
  s.keepAlive(); // tell connmgr who we are, but grant nothing yet
  await sleep(200);
  assert.equal(got.chunks.length, 0, 'nothing sent without credits');
  s.credit(5);
  await waitFor(() => got.chunks.length === 1, 'first 5 bytes');
  assert.equal(got.chunks[0]!.toString(), 'hello');
  await sleep(100);
  assert.equal(got.chunks.length, 1, 'still within credits');
  s.credit(100);
  const body = await within(got.done, 3000, 'rest of the body');
  assert.equal(body.toString(), 'hello world');
  s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('thanks'));
  assert.equal((await within(pending, 3000, 'response')).body.toString(), 'thanks');
});

test('chunked request body of 3 MB arrives whole while the responder grants slowly', async () => {
  const data = randomBytes(3 * 1024 * 1024);
  const pending = request(cm.port, { method: 'PUT', path: '/big', body: data, headers: { 'Transfer-Encoding': 'chunked' } });
  const s = await rsp.nextSession();
  assert.equal(s.request!.more, true);
  const chunks: Buffer[] = [];
  let received = 0;
  const done = new Promise<void>((resolve) => {
    s.ondata = (p) => {
      if (p.body?.length) { chunks.push(p.body); received += p.body.length; }
      // consume slowly: grant back what arrived, a bit later
      if (p.more) setTimeout(() => s.credit(p.body?.length ?? 0), 2);
      else resolve();
    };
  });
  s.credit(64 * 1024);
  await within(done, 20000, 'whole request body');
  assert.equal(received, data.length);
  assert.ok(Buffer.concat(chunks).equals(data), 'body bytes intact');
  s.respond({ code: 201, reason: 'Created', headers: [] });
  const res = await within(pending, 3000, 'response');
  assert.equal(res.status, 201);
});
