// --reuse-port: several connection managers listen on one TCP port (SO_REUSEPORT) and the
// kernel spreads new connections over them; without the flag the port stays exclusive.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startConnmgr, startResponder, waitFor, within, type Connmgr, type Responder } from './helpers.js';

const started: Connmgr[] = [];
const responders: Responder[] = [];
after(async () => {
  for (const r of responders) r.close();
  for (const c of started) await c.stop();
});

test('two connmgrs with --reuse-port share a port and both get requests; an exclusive one cannot join', async () => {
  const a = await startConnmgr(['--reuse-port'], 'cm-a');
  started.push(a);
  const b = await startConnmgr(['--reuse-port'], 'cm-b', a.port);
  started.push(b);
  // without the flag the port is exclusive: a third process cannot bind it
  await assert.rejects(startConnmgr([], 'cm-c', a.port).then((c) => { started.push(c); }), /exited early/);

  const ra = await startResponder(a.base, 'proxy-a');
  const rb = await startResponder(b.base, 'proxy-b');
  responders.push(ra, rb);
  // new connections, one request each, until both connection managers served some (bounded)
  const seen = new Map<string, number>();
  const answered = new Set<unknown>();
  for (let i = 0; i < 64 && seen.size < 2; i++) {
    const pending = request(a.port, { path: `/r/${i}` });
    const [r, s] = await waitFor(() => {
      for (const r of [ra, rb]) for (const s of r.sessions) if (!answered.has(s)) return [r, s] as const;
      return undefined;
    }, `request ${i} at either responder`);
    answered.add(s);
    s.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from(`${r.id}\n`));
    const res = await within(pending, 3000, `response ${i}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), `${r.id}\n`);
    seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), ['proxy-a', 'proxy-b'], `requests reached both connection managers: ${JSON.stringify([...seen])}`);
  for (const c of [a, b]) assert.deepEqual(c.problems(), [], 'no errors logged');
});

test('without --reuse-port a second connmgr on the same port fails to start', async () => {
  const x = await startConnmgr([], 'cm-x');
  started.push(x);
  await assert.rejects(startConnmgr(['--reuse-port'], 'cm-y', x.port).then((c) => { started.push(c); }), /exited early/);
});
