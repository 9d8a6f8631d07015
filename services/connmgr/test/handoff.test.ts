import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { creditsFrom, startConnmgr, startResponder, waitFor, type Connmgr, type Responder } from './helpers.js';

let cm: Connmgr;
let proxy: Responder;
let handler: Responder;

before(async () => {
  cm = await startConnmgr([], 'condure');
  proxy = await startResponder(cm.base, 'pushpin-proxy_1');
  handler = await startResponder(cm.base, 'pushpin-handler_2', false);
});
after(async () => {
  proxy?.close();
  handler?.close();
  const problems = cm?.problems() ?? [];
  await cm?.stop();
  assert.deepEqual(problems, [], 'no errors logged by connmgr');
});

test('handoff: the proxy hands the session to the handler, which streams and receives credits and the cancel', async () => {
  let text = '';
  let req!: http.ClientRequest;
  const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
    req = http.get({ host: '127.0.0.1', port: cm.port, path: '/held', agent: false }, resolve);
    req.on('error', () => undefined);
    setTimeout(() => reject(new Error('no response head')), 5000);
  });
  const sp = await proxy.nextSession();
  const id = sp.id;
  sp.handoffStart();
  await waitFor(() => proxy.packets.some(({ p }) => p.id === id && p.type === 'handoff-proceed'), 'handoff-proceed from connmgr');
  const proceed = proxy.packets.find(({ p }) => p.id === id && p.type === 'handoff-proceed')!;
  assert.equal(proceed.via, 'router');
  assert.equal(proceed.p.from, 'condure');
  const sh = handler.zr.adopt({ from: 'condure', id, inSeq: sp.inSeq, outSeq: sp.outSeq, credits: sp.credits, multi: true });
  sp.destroy();
  const proxyPacketsAtHandoff = proxy.packets.filter(({ p }) => p.id === id).length;

  sh.keepAlive();
  sh.respond({ code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain']] }, Buffer.from('stream open\n'), true);
  const res = await opened;
  res.on('data', (c: Buffer) => { text += c.toString(); });
  await waitFor(() => text === 'stream open\n', 'initial body from the handler');
  await waitFor(() => creditsFrom(handler.packets, id) === 12, 'credits for 12 bytes sent to the handler');
  const credit = handler.packets.find(({ p }) => p.id === id && p.type === 'credit')!;
  assert.equal(credit.via, 'router');
  assert.equal(credit.p.from, 'condure');

  sh.write(Buffer.from('published!\n'), true);
  await waitFor(() => text === 'stream open\npublished!\n', 'published chunk');
  await waitFor(() => creditsFrom(handler.packets, id) === 23, '11 more credits at the handler');

  req.destroy();
  await waitFor(() => handler.packets.some(({ p }) => p.id === id && p.type === 'cancel'), 'cancel at the handler');
  assert.equal(proxy.packets.filter(({ p }) => p.id === id).length, proxyPacketsAtHandoff, 'nothing more went to the proxy');
});
