import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import type { ResponderSession } from '@pushpin-ts/zhttp';
import { clientRequest, fakeCondure, fakeZurl, makeEnv, sleep, startProxy, within, type ProxyProc } from './helpers.js';

const cleanup: Array<() => unknown> = [];
after(async () => { for (const c of cleanup.reverse()) await c(); });

async function get(init: Awaited<ReturnType<typeof fakeCondure>>['init'], uri: string) {
  return within(clientRequest(init, { uri }).done, 5000, `response to ${uri}`);
}

test('routes file: missing, created (watched), broken line skipped, SIGHUP reload, SIGTERM exit', async () => {
  const env = makeEnv('');
  cleanup.unshift(() => rmSync(env.dir, { recursive: true, force: true }));
  unlinkSync(env.routes);
  const condure = await fakeCondure(env);
  cleanup.push(() => condure.close());
  const proxy: ProxyProc = await startProxy(env);
  cleanup.push(() => proxy.stop());
  await proxy.waitLog((l) => String(l['msg']).includes('cannot read routes file'), 3000, 'missing routes file error');

  let r = await get(condure.init, 'http://test.local/');
  assert.equal(r.code, 502);
  assert.equal(r.body.toString(), 'Route not found\n');

  writeFileSync(env.routes, '*,proto=bad 1.2.3.4:80\ntest.local test\n');
  await proxy.waitLog((l) => l['msg'] === 'routes loaded', 5000, 'reload after the file appeared');
  const warn = proxy.logs.find((l) => Number(l['level']) === 40 && String(l['msg']).includes(`${env.routes}:1`));
  assert.ok(warn, 'broken line logged with file:line');
  r = await get(condure.init, 'http://test.local/');
  assert.equal(r.code, 200);

  // rewrite without waiting for the watcher: SIGHUP reloads at once
  const loads = proxy.logs.filter((l) => l['msg'] === 'routes loaded').length;
  writeFileSync(env.routes, 'other.local test\n');
  proxy.child.kill('SIGHUP');
  await within((async () => { while (proxy.logs.filter((l) => l['msg'] === 'routes loaded').length <= loads) await sleep(20); })(), 3000, 'SIGHUP reload');
  r = await get(condure.init, 'http://test.local/');
  assert.equal(r.code, 502);
  r = await get(condure.init, 'http://other.local/');
  assert.equal(r.code, 200);

  const exit = new Promise<number | null>((resolve) => proxy.child.once('exit', (code) => resolve(code)));
  proxy.child.kill('SIGTERM');
  assert.equal(await within(exit, 3000, 'exit after SIGTERM'), 0);
});

test('--route lines replace the file; max_open_requests answers 503 beyond the limit', async () => {
  const env = makeEnv('* test\n', 'max_open_requests=1');
  cleanup.unshift(() => rmSync(env.dir, { recursive: true, force: true }));
  const condure = await fakeCondure(env);
  cleanup.push(() => condure.close());
  let held: ResponderSession | undefined;
  const zurl = await fakeZurl(env, (s) => { held = s; s.keepAlive(); });
  cleanup.push(() => zurl.close());
  const proxy = await startProxy(env, ['--route', 'api.local 127.0.0.1:1234', '--route=x.local test']);
  cleanup.push(() => proxy.stop());

  let r = await get(condure.init, 'http://x.local/');
  assert.equal(r.code, 200, '--route test target');
  r = await get(condure.init, 'http://y.local/');
  assert.equal(r.code, 502, 'the file (* test) is not used');

  const first = clientRequest(condure.init, { uri: 'http://api.local/hold' });
  await within((async () => { while (!held) await sleep(10); })(), 5000, 'held request at zurl');
  r = await get(condure.init, 'http://x.local/');
  assert.equal(r.code, 503);
  assert.equal(r.body.toString(), 'Too many open requests.\n');
  held!.respond({ code: 200, reason: 'OK', headers: [] }, Buffer.from('done'));
  assert.equal((await within(first.done, 5000, 'held response')).body.toString(), 'done');
  r = await get(condure.init, 'http://x.local/');
  assert.equal(r.code, 200, 'slot freed');
});
