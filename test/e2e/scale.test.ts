// Scaling the proxy tier: three proxy processes (`[proxy] workers=3`) and two zurl-role
// processes under load; one proxy is killed with SIGKILL by PID. Held connections live in the
// handler and survive, the runner restarts the proxy, new requests keep succeeding (and reach
// the restarted one), and requests in flight on the dead proxy end with a 502 from the
// connection manager when their ZHTTP session expires (60 s, as condure's).
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStream, publish, request, sleep, startBackend, startRunner, type Running } from '../helpers/index.js';

let r: Running;
let backend: Awaited<ReturnType<typeof startBackend>>;

before(async () => {
  backend = await startBackend((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/hold') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Grip-Hold': 'stream', 'Grip-Channel': 'scale' });
      res.end('held\n');
    } else if (u.pathname === '/slow') {
      setTimeout(() => { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end('slow\n'); }, 1500);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`ok ${u.pathname}\n`);
    }
  });
  r = await startRunner({
    routes: [`* 127.0.0.1:${backend.port}`],
    extra: { proxy: { workers: 3 } },
    args: ['--zurl-workers=2'],
  });
});
after(async () => { await r?.stop(); await backend?.close(); });

function pidOf(title: string): number | undefined {
  try { return Number(fs.readFileSync(path.join(r.dir, 'run', `${title}.pid`), 'utf8').trim()) || undefined; } catch { return undefined; }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

interface Result { startedAt: number; status: number | 'error' }

/** `workers` clients issuing GETs back to back until `stop()`. */
function load(workers: number): { stop(): Promise<Result[]> } {
  const results: Result[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running && i < 100_000; i++) {
      const startedAt = Date.now();
      const status = await request(r.httpPort, { path: `/load/${w}/${i}`, timeout: 4000 }).then((res) => res.status, () => 'error' as const);
      results.push({ startedAt, status });
    }
  });
  return {
    // a request stuck on the dead proxy only ends with the client timeout: don't wait for it
    async stop() { running = false; await Promise.race([Promise.all(loops), sleep(1500)]); return [...results]; },
  };
}

test('3 proxy processes: one SIGKILLed under load; holds survive, it is restarted, requests keep succeeding', async (t) => {
  const titles = ['pushpin-proxy-1', 'pushpin-proxy-2', 'pushpin-proxy-3', 'zurl-1', 'zurl-2'];
  for (const t of titles) assert.ok(pidOf(t) !== undefined, `${t} is running`);

  // held streams: their sessions move from whichever proxy answered to the handler
  const streams = await Promise.all(Array.from({ length: 6 }, () => openStream(r.httpPort, '/hold')));
  for (const s of streams) await s.waitFor('held\n');
  // every proxy serves traffic: 9 requests round-robin over 3 proxies
  for (let i = 0; i < 9; i++) assert.equal((await request(r.httpPort, { path: `/warm/${i}` })).status, 200);

  const traffic = load(6);
  await sleep(1000);
  // requests in flight on every proxy when one dies
  const slow = Array.from({ length: 6 }, () => request(r.httpPort, { path: '/slow', timeout: 75_000 }).then((res) => res.status, () => 'error' as const));
  await sleep(300);
  const victim = pidOf('pushpin-proxy-2')!;
  const killedAt = Date.now();
  process.kill(victim, 'SIGKILL');

  // the runner restarts it (new pid), well within the backoff
  let restarted: number | undefined;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const p = pidOf('pushpin-proxy-2');
    if (p !== undefined && p !== victim && alive(p)) { restarted = p; break; }
    await sleep(100);
  }
  assert.ok(restarted !== undefined, 'proxy 2 restarted with a new pid');

  // no held connection lost: all six get a publish made after the kill
  // (publishing also keeps the test client's 8 s idle timeout on the streams from firing)
  await publish(r, [{ channel: 'scale', formats: { 'http-stream': { content: 'after the kill\n' } } }]);
  for (const s of streams) await s.waitFor('after the kill\n');
  await sleep(3000);
  const results = await traffic.stop();
  await publish(r, [{ channel: 'scale', formats: { 'http-stream': { content: 'still here\n' } } }]);
  for (const s of streams) {
    await s.waitFor('still here\n');
    assert.equal(s.ended(), false);
    s.close();
  }

  const after1s = results.filter((x) => x.startedAt > killedAt + 1000);
  const failedLate = after1s.filter((x) => x.status !== 200);
  assert.ok(after1s.length > 50, `load kept going after the kill (${after1s.length} requests)`);
  assert.equal(failedLate.length, 0, `requests started 1 s after the kill all succeed (${failedLate.length} of ${after1s.length} failed)`);
  const failed = results.filter((x) => x.status !== 200);
  t.diagnostic(`${results.length} requests under load, ${failed.length} failed around the kill, ${after1s.length} after it`);
  // only what was queued on or in flight through the dead proxy may fail
  assert.ok(failed.length <= 12, `${failed.length} of ${results.length} requests failed around the kill`);

  // the restarted proxy takes new requests
  for (let i = 0; i < 12; i++) assert.equal((await request(r.httpPort, { path: `/after/${i}` })).status, 200);
  const log = fs.readFileSync(path.join(r.dir, 'log', 'pushpin-proxy-2.log'), 'utf8');
  const sinceRestart = log.slice(log.lastIndexOf('pushpin-proxy started'));
  assert.match(sinceRestart, /request done/, 'the restarted proxy served requests');

  // in-flight requests: the ones on the surviving proxies finish, the dead proxy's end with a
  // 502 from the connection manager once their ZHTTP session expires; none hangs
  const slowStatus = await Promise.all(slow);
  t.diagnostic(`in-flight requests at the kill ended with ${slowStatus.join(',')} (${Date.now() - killedAt} ms after it)`);
  assert.ok(slowStatus.every((s) => s === 200 || s === 502), `in-flight outcomes: ${slowStatus.join(',')}`);
  assert.ok(slowStatus.filter((s) => s === 200).length >= 3, `survivors finished their in-flight requests: ${slowStatus.join(',')}`);
});
