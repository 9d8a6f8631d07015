// A (re)started connection manager takes clients only once a responder has connected, so the
// first replies are not published before the responders' PUB sockets have (re)connected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { request, sleep, startConnmgr, startResponder, waitFor, type Connmgr } from './helpers.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** When connmgr logged `msg` (pino's `time`), if it has. */
const loggedAt = (cm: Connmgr, msg: string | RegExp): number | undefined => {
  const l = cm.logs.find((x) => (typeof msg === 'string' ? x['msg'] === msg : msg.test(String(x['msg']))));
  return l === undefined ? undefined : Number(l['time']);
};

test('bind mode: no clients until a responder connects; then, after a short grace, requests reach it', async () => {
  const cm = await startConnmgr(['--responder-wait=10000'], 'condure', undefined, false);
  try {
    await waitFor(() => loggedAt(cm, 'zhttp client ready'), 'zhttp endpoints bound', 5000);
    await sleep(700);
    assert.equal(loggedAt(cm, 'listening'), undefined, 'listening before any responder connected');
    assert.equal(await accepts(cm.port), false, 'client port open before any responder connected');
    const joinedAt = Date.now();
    const rsp = await startResponder(cm.base, 'proxy-wait');
    try {
      const at = await waitFor(() => loggedAt(cm, 'listening'), 'listening after the responder joined', 3000);
      assert.ok(at - joinedAt < 2000, `listening ${at - joinedAt} ms after the responder started`);
      const res = request(cm.port, { path: '/first' });
      const s = await rsp.nextSession();
      s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('first reply'));
      const r = await res;
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'first reply');
    } finally {
      rsp.close();
    }
  } finally {
    await cm.stop();
  }
});

test('bind mode: with nobody connecting, clients are taken after --responder-wait, with a warning', async () => {
  const cm = await startConnmgr(['--responder-wait=800'], 'condure', undefined, false);
  try {
    const at = await waitFor(() => loggedAt(cm, 'listening'), 'listening without responders', 5000);
    const ready = loggedAt(cm, 'zhttp client ready')!;
    assert.ok(at - ready >= 700, `listening only ${at - ready} ms after binding`);
    assert.ok(loggedAt(cm, /no ZHTTP responder/) !== undefined, 'warning about the missing responders');
    assert.equal(await accepts(cm.port), true);
  } finally {
    await cm.stop();
  }
});
