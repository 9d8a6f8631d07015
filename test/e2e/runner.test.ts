// The runner: restarts a child that dies, stops everything on SIGTERM, rejects broken configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

test('a runner started by the test helpers stops with its services when the test process is killed', async () => {
  // a throw-away "test process" that starts a suite and then dies by SIGKILL (no after hooks)
  const helpers = path.join(repoRoot, 'test', 'dist', 'helpers', 'index.js');
  const script = `import { startRunner } from ${JSON.stringify(helpers)};
const r = await startRunner({ routes: ['* test'] });
process.stdout.write(JSON.stringify({ pid: r.proc.pid, dir: r.dir }) + '\\n');
setInterval(() => undefined, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + 20_000;
  while (!out.includes('\n') && Date.now() < deadline) await sleep(100);
  const { pid, dir } = JSON.parse(out) as { pid: number; dir: string };
  const pids = fs.readdirSync(path.join(dir, 'run')).filter((f) => f.endsWith('.pid'))
    .map((f) => Number(fs.readFileSync(path.join(dir, 'run', f), 'utf8').trim()));
  assert.ok(alive(pid), 'runner running');
  assert.ok(pids.length >= 4 && pids.every(alive), `services running: ${pids.join(', ')}`);
  child.kill('SIGKILL');
  const gone = Date.now() + 10_000;
  while ((alive(pid) || pids.some(alive)) && Date.now() < gone) await sleep(100);
  const left = [pid, ...pids].filter(alive);
  for (const p of left) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  fs.rmSync(dir, { recursive: true, force: true });
  assert.deepEqual(left, [], 'runner or services outlived the killed test process');
});
