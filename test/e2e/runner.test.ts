// The runner: restarts a child that dies, stops everything on SIGTERM, rejects broken configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStream, publish, repoRoot, request, sleep, startRunner } from '../helpers/index.js';

function alive(pid: number): boolean { try { process.kill(pid, 0); return true; } catch { return false; } }

test('a killed proxy is restarted and requests succeed again; SIGTERM stops every child', async () => {
  const r = await startRunner({ routes: ['* test'] });
  try {
    const pidFile = path.join(r.dir, 'run', 'pushpin-proxy.pid');
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    assert.ok(pid > 0 && alive(pid));
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 15000;
    let ok = false;
    while (Date.now() < deadline && !ok) {
      await sleep(300);
      const res = await request(r.httpPort, { path: '/', timeout: 2000 }).catch(() => undefined);
      ok = res?.status === 200;
    }
    assert.ok(ok, 'no 200 after the proxy was killed');
    const pid2 = Number(fs.readFileSync(pidFile, 'utf8').trim());
    assert.notEqual(pid2, pid);
    const s = await openStream(r.httpPort, '/stream?channel=restart');
    await s.waitFor('[stream opened]\n');
    await sleep(300);
    await publish(r, [{ channel: 'restart', formats: { 'http-stream': { content: 'after restart\n' } } }]);
    await s.waitFor('after restart\n');
    s.close();
    const children = fs.readdirSync(path.join(r.dir, 'run')).filter((f) => f.endsWith('.pid')).map((f) => Number(fs.readFileSync(path.join(r.dir, 'run', f), 'utf8').trim()));
    assert.ok(children.length >= 4, `pid files: ${children.length}`);
    await r.stop();
    await sleep(500);
    for (const c of children) assert.equal(alive(c), false, `child ${c} survived the runner`);
  } finally {
    await r.stop();
  }
});

test('a broken config file is reported with its name and the runner exits 1', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pp-bad-'));
  const conf = path.join(dir, 'pushpin.conf');
  fs.writeFileSync(conf, '[runner]\nservices=condure,pushpin-proxy\n'); // no ports at all
  const res = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'pushpin-runner'), ['--config', conf], { encoding: 'utf8', timeout: 15000 });
  assert.equal(res.status, 1);
  assert.match(res.stdout + res.stderr, /port/i);
  const missing = spawnSync(path.join(repoRoot, 'node_modules', '.bin', 'pushpin-runner'), ['--config', path.join(dir, 'nope.conf')], { encoding: 'utf8', timeout: 15000 });
  assert.equal(missing.status, 1);
  assert.match(missing.stdout + missing.stderr, /nope\.conf/);
});

test('a broken routes line is skipped and the other routes keep working', async () => {
  const r = await startRunner({ routes: ['*,path_beg=/x,,bad test', 'h"unterminated test', '* test'] });
  try {
    const res = await request(r.httpPort, { path: '/' });
    assert.equal(res.status, 200);
  } finally { await r.stop(); }
});
