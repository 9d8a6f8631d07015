import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { events, isAlive, RUNNER_BIN, startRunner, tempDir, waitUntil, writeFake } from './helpers.js';
import type { RunnerProc } from './helpers.js';

// Runs the real runner against fake condure/zurl binaries (condure_bin / zurl_bin).
const started: RunnerProc[] = [];
const dirs: string[] = [];
after(() => {
  for (const r of started) if (r.proc.pid !== undefined && isAlive(r.proc.pid)) process.kill(r.proc.pid, 'SIGKILL');
  for (const d of dirs) {
    for (const name of ['condure', 'zurl']) for (const ev of events(d, name)) if (isAlive(ev.pid)) process.kill(ev.pid, 'SIGKILL');
    fs.rmSync(d, { recursive: true, force: true });
  }
});

function setup(condure: 'exit' | 'stay', zurl: 'stay' | 'stubborn', extra = ''): string {
  const dir = tempDir();
  dirs.push(dir);
  const conf = `[global]
rundir=${dir}/run
[runner]
services=condure,zurl
http_port=127.0.0.1:1
condure_bin=${writeFake(dir, 'condure', condure)}
zurl_bin=${writeFake(dir, 'zurl', zurl)}
${extra}`;
  fs.writeFileSync(path.join(dir, 'pushpin.conf'), conf);
  return dir;
}

function run(args: string[], cwd: string): RunnerProc {
  const r = startRunner(args, cwd);
  started.push(r);
  return r;
}

test('a crashing service is restarted with growing delays; SIGTERM stops everything and exits 0', { timeout: 20_000 }, async () => {
  const dir = setup('exit', 'stay');
  const r = run(['--config=pushpin.conf', '-m'], dir);
  await waitUntil(() => events(dir, 'condure').length >= 4, 10_000, '4 condure starts');
  const starts = events(dir, 'condure').map((e) => e.t);
  const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
  assert.ok((gaps[0] as number) >= 250, `first gap ${gaps[0]}`);
  assert.ok((gaps[1] as number) > (gaps[0] as number) && (gaps[2] as number) > (gaps[1] as number), `gaps grow: ${gaps}`);

  // condure got condure's flags
  const argv = events(dir, 'condure')[0]?.argv ?? [];
  assert.deepEqual(argv, ['--log-level=2', '--listen=127.0.0.1:1,stream', `--zclient-stream=ipc://${dir}/run/pushpin-condure`, '--buffer-size=8192', '--stream-maxconn=50000', '--id=condure']);

  const restarts = r.json().filter((l) => l.msg === 'service exited unexpectedly, restarting');
  assert.deepEqual(restarts.slice(0, 3).map((l) => [l.child, l.code, l.delayMs]), [['condure', 3, 250], ['condure', 3, 500], ['condure', 3, 1000]]);
  assert.ok(r.json().some((l) => l.msg === 'started'));
  assert.ok(r.lines.includes('hello from zurl'), 'merged child output is passed through unchanged');
  assert.ok(fs.readFileSync(path.join(dir, 'run', 'zurl.conf'), 'utf8').includes(`in_spec=ipc://${dir}/run/pushpin-zurl-in`));

  const zurlPid = events(dir, 'zurl')[0]?.pid as number;
  r.proc.kill('SIGTERM');
  const t0 = Date.now();
  const end = await r.exited;
  assert.deepEqual(end, { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 3000, 'a cooperative child stops quickly');
  assert.deepEqual(events(dir, 'zurl').map((e) => e.e), ['start', 'term']);
  assert.equal(isAlive(zurlPid), false);
  const n = events(dir, 'condure').length;
  await new Promise((res) => setTimeout(res, 600));
  assert.equal(events(dir, 'condure').length, n, 'no restart after stop');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'run')).filter((f) => f.endsWith('.pid')), []);
});

test('SIGHUP goes to zurl only; a child ignoring SIGTERM is SIGKILLed after 4 s; logdir gets the output', { timeout: 20_000 }, async () => {
  const dir = setup('stay', 'stubborn', `logdir=${'log'}\n`);
  const r = run(['--config', 'pushpin.conf'], dir);
  await waitUntil(() => events(dir, 'condure').length === 1 && events(dir, 'zurl').length === 1, 5000, 'both started');
  const condurePid = events(dir, 'condure')[0]?.pid as number;
  const zurlPid = events(dir, 'zurl')[0]?.pid as number;
  await waitUntil(() => fs.existsSync(path.join(dir, 'run', 'zurl.pid')), 2000, 'pid file');
  assert.equal(fs.readFileSync(path.join(dir, 'run', 'zurl.pid'), 'utf8').trim(), String(zurlPid));
  assert.equal(fs.readFileSync(path.join(dir, 'run', 'condure.pid'), 'utf8').trim(), String(condurePid));

  r.proc.kill('SIGHUP');
  await waitUntil(() => events(dir, 'zurl').some((e) => e.e === 'hup'), 3000, 'zurl hup');
  assert.equal(events(dir, 'condure').some((e) => e.e === 'hup'), false);

  await waitUntil(() => fs.existsSync(path.join(dir, 'log', 'condure.log')) && fs.readFileSync(path.join(dir, 'log', 'condure.log'), 'utf8').includes('hello from condure'), 3000, 'condure.log');
  assert.equal(r.lines.includes('hello from condure'), false, 'with logdir the output is not merged');

  const t0 = Date.now();
  r.proc.kill('SIGTERM');
  const end = await r.exited;
  const took = Date.now() - t0;
  assert.deepEqual(end, { code: 0, signal: null });
  assert.ok(took >= 3900 && took < 8000, `stop took ${took} ms`);
  assert.equal(isAlive(zurlPid), false, 'stubborn zurl was killed');
  assert.equal(isAlive(condurePid), false);
  assert.ok(events(dir, 'zurl').some((e) => e.e === 'term-ignored'));
});

test('a second signal kills the children at once', { timeout: 15_000 }, async () => {
  const dir = setup('stay', 'stubborn');
  const r = run(['--config=pushpin.conf', '-m'], dir);
  await waitUntil(() => events(dir, 'zurl').length === 1, 5000, 'zurl started');
  const zurlPid = events(dir, 'zurl')[0]?.pid as number;
  r.proc.kill('SIGINT');
  await waitUntil(() => events(dir, 'zurl').some((e) => e.e === 'term-ignored'), 3000, 'first signal forwarded');
  const t0 = Date.now();
  r.proc.kill('SIGINT');
  assert.deepEqual(await r.exited, { code: 0, signal: null });
  assert.ok(Date.now() - t0 < 2000);
  await waitUntil(() => !isAlive(zurlPid), 2000, 'zurl killed');
});

test('config errors exit 1 naming file and line; --version and --help exit 0', () => {
  const dir = tempDir();
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'bad.conf'), '[runner]\nservices=condure\nhttp_port=notaport\n');
  const bad = spawnSync(process.execPath, [RUNNER_BIN, '--config=bad.conf'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, new RegExp(`${dir}/bad.conf:3: \\[runner\\] http_port: "notaport"`));

  fs.writeFileSync(path.join(dir, 'noports.conf'), `[global]\nrundir=${dir}/run\n[runner]\nservices=condure\n`);
  const noPorts = spawnSync(process.execPath, [RUNNER_BIN, '--config=noports.conf'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  assert.equal(noPorts.status, 1);
  assert.match(noPorts.stderr, /no server ports configured/);

  const missing = spawnSync(process.execPath, [RUNNER_BIN, '--config=missing.conf'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /missing\.conf: cannot read config file/);

  const usage = spawnSync(process.execPath, [RUNNER_BIN, '--nope'], { cwd: dir, encoding: 'utf8', timeout: 10_000 });
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /unknown option "--nope"/);

  const v = spawnSync(process.execPath, [RUNNER_BIN, '--version'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(v.status, 0);
  assert.equal(v.stdout, 'pushpin-ts 0.1.0 (pushpin 1.36 compatible)\n');
  const h = spawnSync(process.execPath, [RUNNER_BIN, '-help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(h.status, 0);
  assert.match(h.stdout, /^Usage: pushpin-runner/);
});
