// A (re)started connection manager takes clients only once a responder has connected, so the
// first replies are not published before the responders' PUB sockets have (re)connected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, freePort, onJsonLines, request, sleep, startResponder, waitFor } from './helpers.js';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

async function spawnConnmgr(wait: string) {
  const dir = mkdtempSync(join(tmpdir(), 'connmgr-wait-'));
  const base = `ipc://${dir}/pushpin-condure`;
  const port = await freePort();
  const proc = spawn(process.execPath, [BIN, `--listen=127.0.0.1:${port},stream`, `--zclient-stream=${base}`, '--log-level=3', `--responder-wait=${wait}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: Array<{ t: number; msg: string }> = [];
  onJsonLines(proc.stdout!, (l) => { if (l['msg'] !== undefined) lines.push({ t: Date.now(), msg: String(l['msg']) }); });
  const listeningAt = () => lines.find((l) => l.msg === 'listening')?.t;
  return {
    base, port, lines, listeningAt,
    async stop() {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('bind mode: no clients until a responder connects; then, after a short grace, requests reach it', async () => {
  const cm = await spawnConnmgr('10000');
  try {
    await waitFor(() => cm.lines.some((l) => l.msg === 'zhttp client ready'), 'zhttp endpoints bound', 5000);
    await sleep(700);
    assert.equal(cm.listeningAt(), undefined, 'listening before any responder connected');
    assert.equal(await accepts(cm.port), false, 'client port open before any responder connected');
    const joinedAt = Date.now();
    const rsp = await startResponder(cm.base, 'proxy-wait');
    try {
      const at = await waitFor(() => cm.listeningAt(), 'listening after the responder joined', 3000);
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
  const cm = await spawnConnmgr('800');
  try {
    const at = await waitFor(() => cm.listeningAt(), 'listening without responders', 5000);
    const ready = cm.lines.find((l) => l.msg === 'zhttp client ready')!.t;
    assert.ok(at - ready >= 700, `listening only ${at - ready} ms after binding`);
    assert.ok(cm.lines.some((l) => /no ZHTTP responder/.test(l.msg)), 'warning about the missing responders');
    assert.equal(await accepts(cm.port), true);
  } finally {
    await cm.stop();
  }
});
