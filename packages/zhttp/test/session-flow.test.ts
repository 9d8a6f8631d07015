import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InitiatorTransport, ResponderTransport, ZhttpInitiator, ZhttpResponder, type ResponderSession, type Packet } from '../src/index.js';

const log = { warn() {}, debug() {} };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three consecutive tcp ports from a random base, or an ipc base; bound by the initiator. */
function baseFor(proto: 'ipc' | 'tcp'): string {
  if (proto === 'ipc') return `ipc://${mkdtempSync(join(tmpdir(), 'zh-'))}/s`;
  // below Linux's ephemeral range (32768+), where a port can be taken by any outgoing connection
  return `tcp://127.0.0.1:${20000 + Math.floor(Math.random() * 4000) * 3}`;
}

async function pair(proto: 'ipc' | 'tcp', onSession: (s: ResponderSession) => void) {
  // a random tcp base may collide with a port in use: try another (bounded)
  for (let attempt = 1; ; attempt++) {
    const base = baseFor(proto);
    const m = /^(tcp:\/\/.*:)(\d+)$/.exec(base);
    const specs = m ? [0, 1, 2].map((i) => `${m[1]}${Number(m[2]) + i}`) : ['-out', '-out-stream', '-in'].map((x) => base + x);
    const it = new InitiatorTransport({ instanceId: 'cm', pushSpecs: [specs[0]!], routerSpecs: [specs[1]!], subSpecs: [specs[2]!], bind: true }, log);
    try {
      await it.start();
    } catch (err) {
      it.close();
      if ((err as { code?: string }).code === 'EADDRINUSE' && attempt < 10) continue;
      throw err;
    }
    const rt = new ResponderTransport({ instanceId: 'px', pullSpecs: [specs[0]!], routerSpecs: [specs[1]!], pubSpecs: [specs[2]!], bind: false }, log);
    await rt.start();
    const init = new ZhttpInitiator(it, { instanceId: 'cm', log });
    const resp = new ZhttpResponder(rt, { instanceId: 'px', log, onSession });
    await wait(300);
    return { init, resp, close() { it.close(); rt.close(); } };
  }
}

for (const proto of ['ipc', 'tcp'] as const) {
  test(`request with streamed body and credit-limited response over ${proto}`, async () => {
    const gotBody: Buffer[] = [];
    const sp = await pair(proto, (s) => {
      s.ondata = (p) => {
        gotBody.push(p.body ?? Buffer.alloc(0));
        if (!p.more) {
          s.respond({ code: 200, reason: 'OK', headers: [['X', '1']] }, Buffer.alloc(5000, 0x61), false);
        }
      };
      assert.equal(s.request?.method, 'POST');
      assert.deepEqual(s.request?.body, Buffer.from('abc'));
      s.credit(1000);
    });
    try {
      const s = sp.init.open();
      const events: string[] = [];
      let respBody = Buffer.alloc(0);
      const done = new Promise<void>((resolve) => {
        s.onresponse = (p: Packet) => { events.push(`response ${p.code}`); respBody = Buffer.concat([respBody, p.body ?? Buffer.alloc(0)]); if (p.body?.length) s.credit(p.body.length); if (!p.more) resolve(); };
        s.ondata = (p: Packet) => { events.push('data'); respBody = Buffer.concat([respBody, p.body ?? Buffer.alloc(0)]); if (p.body?.length) s.credit(p.body.length); if (!p.more) resolve(); };
      });
      s.start({ method: 'POST', uri: 'http://x/y', headers: [], body: Buffer.from('abc'), more: true, stream: true, credits: 1024 });
      s.write(Buffer.from('defgh'), false);
      await Promise.race([done, wait(4000).then(() => { throw new Error('timeout'); })]);
      assert.equal(Buffer.concat(gotBody).toString(), 'defgh');
      assert.equal(respBody.length, 5000);
      assert.equal(events[0], 'response 200');
      assert.ok(events.length >= 5, `response split by credits: ${events.length} packets`);
    } finally { sp.close(); }
  });
}

test('handoff: initiator answers handoff-start and follows the new responder', async () => {
  let first: ResponderSession | undefined;
  const sp = await pair('ipc', (s) => { first = s; s.keepAlive(); setTimeout(() => s.handoffStart(), 50); s.onhandoffproceed = () => {
    // second responder on the same transport adopts the session with another id
    const other = new ZhttpResponder({ send: (d, p) => (sp.resp.link as ResponderTransport).send(d, p), onPayload: () => undefined }, { instanceId: 'px2', log });
    const a = other.adopt({ from: 'cm', id: s.id, inSeq: s.inSeq, outSeq: s.outSeq, credits: s.credits });
    s.destroy();
    a.keepAlive();
    a.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('from-new-owner'));
  }; });
  try {
    const s = sp.init.open();
    const got = new Promise<Packet>((resolve) => { s.onresponse = resolve; });
    s.start({ method: 'GET', uri: 'http://x/', headers: [], stream: true, credits: 8192 });
    const p = await Promise.race([got, wait(3000).then(() => { throw new Error('timeout'); })]);
    assert.ok(first);
    assert.equal(p.from, 'px2');
    assert.equal(p.body?.toString(), 'from-new-owner');
    assert.equal(s.peer, 'px2');
  } finally { sp.close(); }
});

test('sequence gap cancels the session', async () => {
  let ended = '';
  const sp = await pair('ipc', (s) => { s.onend = (r) => { ended = r; }; s.keepAlive(); });
  try {
    const s = sp.init.open();
    s.start({ method: 'GET', uri: 'http://x/', headers: [], stream: true, credits: 10 });
    await wait(200);
    s.outSeq += 5; // skip sequence numbers
    s.keepAlive();
    await wait(300);
    assert.equal(ended, 'seq-error');
    assert.equal(sp.resp.sessions.size, 0);
  } finally { sp.close(); }
});
