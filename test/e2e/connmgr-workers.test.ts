// `--connmgr-workers 2`: two connection-manager processes listen on the client port with
// SO_REUSEPORT, the kernel spreads new connections over them, and proxy and handler talk to
// both. 40 held streams (routes `* test`), one publish: every stream gets it, and both
// connection managers hold some of the client connections (counted through /proc). Then one
// is SIGKILLed: only its own clients lose their streams, and the runner restarts it.
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStream, publish, startRunner, until, type Running } from '../helpers/index.js';

const STREAMS = 40;
let r: Running;

before(async () => {
  r = await startRunner({ routes: ['* test'], args: ['--connmgr-workers=2'] });
});
after(async () => { await r?.stop(); });

function pidOf(title: string): number | undefined {
  try { return Number(fs.readFileSync(path.join(r.dir, 'run', `${title}.pid`), 'utf8').trim()) || undefined; } catch { return undefined; }
}

function logOf(title: string): string {
  try { return fs.readFileSync(path.join(r.dir, 'log', `${title}.log`), 'utf8'); } catch { return ''; }
}

/** Socket inodes of established TCP connections whose local port is `port` (/proc/net/tcp, tcp6). */
function establishedInodes(port: number): Set<string> {
  const out = new Set<string>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'latin1'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const localPort = parseInt((c[1] ?? '').split(':')[1] ?? '', 16);
      if (localPort === port && c[3] === '01') out.add(c[9] as string);
    }
  }
  return out;
}

/** How many of `inodes` are open file descriptors of process `pid`. */
function heldBy(pid: number, inodes: Set<string>): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try { link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m && inodes.has(m[1] as string)) n++;
  }
  return n;
}

test('2 connection managers share the client port; 40 held streams spread over both get a publish; one killed, the other\'s streams survive and it is restarted', async (t) => {
  const titles = ['condure-1', 'condure-2'];
  const pids = titles.map((x) => pidOf(x));
  assert.ok(pids.every((p) => p !== undefined), `both connection managers have pid files: ${pids.join(',')}`);
  assert.equal(pidOf('condure'), undefined, 'no single "condure" process');
  // both listen before any stream opens, so the kernel can pick either
  await until(() => titles.every((x) => /"msg":"listening"/.test(logOf(x))), 10_000, () => `both connection managers listening:\n${r.logs().slice(-2000)}`);
  for (const x of titles) assert.match(logOf(x), /"msg":"zhttp client ready"/, `${x} opened its own ZHTTP endpoints`);

  const streams = await Promise.all(Array.from({ length: STREAMS }, () => openStream(r.httpPort, '/stream?channel=workers')));
  for (const s of streams) {
    assert.equal(s.status, 200);
    await s.waitFor('[stream opened]\n');
  }

  const inodes = establishedInodes(r.httpPort);
  const held = pids.map((p) => heldBy(p as number, inodes));
  t.diagnostic(`client connections held: condure-1 ${held[0]}, condure-2 ${held[1]}`);
  assert.ok(held.every((n) => n >= 1), `both connection managers hold client connections: ${held.join(', ')}`);
  assert.ok((held[0] as number) + (held[1] as number) >= STREAMS, `the ${STREAMS} streams are held by the two: ${held.join(', ')}`);

  // the handler reaches the sessions of both connection managers with one publish
  await publish(r, [{ channel: 'workers', formats: { 'http-stream': { content: 'to all workers\n' } } }]);
  for (const s of streams) await s.waitFor('to all workers\n');
  for (const s of streams) {
    assert.equal(s.ended(), false);
    assert.equal(s.text(), '[stream opened]\nto all workers\n');
  }

  // one connection manager dies (SIGKILL by PID): its clients lose their connections, the
  // other's keep theirs and still get publishes, and the runner starts it again
  const victim = pids[1] as number;
  process.kill(victim, 'SIGKILL');
  await until(() => streams.filter((s) => s.ended()).length === held[1], 10_000, () => `the ${held[1]} streams of condure-2 ended (${streams.filter((s) => s.ended()).length} ended)`);
  await publish(r, [{ channel: 'workers', formats: { 'http-stream': { content: 'after the kill\n' } } }]);
  const alive = streams.filter((s) => !s.ended());
  assert.equal(alive.length, held[0]);
  for (const s of alive) await s.waitFor('after the kill\n');
  await until(() => { const p = pidOf('condure-2'); return p !== undefined && p !== victim; }, 10_000, 'condure-2 restarted with a new pid');
  await until(() => (logOf('condure-2').match(/"msg":"listening"/g) ?? []).length >= 2, 10_000, 'the restarted condure-2 listening');
  // new connections reach both again: open streams until the restarted one holds some (bounded)
  const more: typeof streams = [];
  const restarted = pidOf('condure-2') as number;
  for (let i = 0; i < 40 && heldBy(restarted, establishedInodes(r.httpPort)) === 0; i++) {
    const s = await openStream(r.httpPort, '/stream?channel=workers');
    await s.waitFor('[stream opened]\n');
    more.push(s);
  }
  assert.ok(heldBy(restarted, establishedInodes(r.httpPort)) > 0, `the restarted condure-2 holds new connections (${more.length} opened)`);
  await publish(r, [{ channel: 'workers', formats: { 'http-stream': { content: 'after the restart\n' } } }]);
  for (const s of [...alive, ...more]) await s.waitFor('after the restart\n');
  for (const s of [...streams, ...more]) s.close();
  // the client connections go away from both processes
  const now = [pids[0] as number, restarted];
  await until(() => now.reduce((a, p) => a + heldBy(p, establishedInodes(r.httpPort)), 0) === 0, 10_000, 'client connections closed at both connection managers');
});
