import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '@pushpin-ts/config';
import type { PushpinConfig } from '@pushpin-ts/config';
import { computeTopology, parseArgs, UsageError } from '../src/index.js';
import type { TopologyOptions } from '../src/index.js';

const LIBDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config');
const STOCK = fs.readFileSync(path.join(LIBDIR, 'pushpin.conf'), 'utf8');
const INTERNAL = fs.readFileSync(path.join(LIBDIR, 'internal.conf'), 'utf8');

function config(text: string): PushpinConfig {
  return parseConfigText(text, { file: '/etc/pp/pushpin.conf', libdir: LIBDIR, cwd: '/srv', includeText: (p) => (p.endsWith('internal.conf') ? INTERNAL : undefined) });
}

function topo(cfg: PushpinConfig, extra: Partial<TopologyOptions> = {}) {
  return computeTopology(cfg, { configFile: cfg.file, libdir: LIBDIR, servicesDir: '/repo/services', nodePath: '/usr/bin/node', logLevels: cfg.runner.logLevel, ...extra });
}

test('--proxy-workers / --zurl-workers: parsed, 1..64', () => {
  const a = parseArgs(['--proxy-workers=3', '--zurl-workers', '2']);
  assert.equal(a.proxyWorkers, 3);
  assert.equal(a.zurlWorkers, 2);
  assert.equal(parseArgs([]).proxyWorkers, undefined);
  for (const bad of ['--proxy-workers=0', '--proxy-workers=x', '--zurl-workers=65']) {
    assert.throws(() => parseArgs([bad]), (e: unknown) => e instanceof UsageError && e.code === 'PP_ERR_RUNNER_USAGE', bad);
  }
});

test('one worker each: exactly Pushpin 1.36 layout (no direction flags, no suffixes)', () => {
  const t = topo(config(STOCK));
  assert.deepEqual(t.services.map((s) => s.title), ['condure', 'zurl', 'pushpin-proxy', 'pushpin-handler']);
  for (const s of t.services) {
    assert.ok(!s.args.includes('--handler-connect') && !s.args.includes('--proxy-bind'), s.title);
    assert.ok(!s.args.some((a) => a.startsWith('--set=proxy.zurl_')), s.title);
  }
  assert.deepEqual(t.files.map((f) => path.basename(f.path)), ['zurl.conf']);
});

test('3 proxies and 2 zurls: one process each, own pid/log files, zurl endpoints per instance, handler binds', () => {
  const t = topo(config(STOCK), { proxyWorkers: 3, zurlWorkers: 2 });
  assert.deepEqual(t.services.map((s) => s.title),
    ['condure', 'zurl-1', 'zurl-2', 'pushpin-proxy-1', 'pushpin-proxy-2', 'pushpin-proxy-3', 'pushpin-handler']);
  assert.equal(new Set(t.services.map((s) => s.pidFile)).size, t.services.length, 'distinct pid files');
  assert.equal(new Set(t.services.map((s) => s.logFile)).size, t.services.length, 'distinct log files');
  assert.deepEqual(t.services.filter((s) => s.name === 'proxy').map((s) => path.basename(s.logFile!)), ['pushpin-proxy-1.log', 'pushpin-proxy-2.log', 'pushpin-proxy-3.log']);

  const confs = t.files.map((f) => ({ name: path.basename(f.path), text: f.text }));
  assert.deepEqual(confs.map((c) => c.name), ['zurl-1.conf', 'zurl-2.conf']);
  assert.match(confs[1]!.text, /^in_spec=ipc:\/\/\/srv\/run\/pushpin-zurl-in-2$/m);
  assert.match(confs[1]!.text, /^in_stream_spec=ipc:\/\/\/srv\/run\/pushpin-zurl-in-stream-2$/m);
  assert.match(confs[1]!.text, /^out_spec=ipc:\/\/\/srv\/run\/pushpin-zurl-out-2$/m);
  const zurl2 = t.services.find((s) => s.title === 'zurl-2')!;
  assert.ok(zurl2.args.includes('--config=/srv/run/zurl-2.conf'));

  for (const p of t.services.filter((s) => s.name === 'proxy')) {
    assert.ok(p.args.includes('--handler-connect'), p.title);
    assert.ok(p.args.includes('--set=proxy.zurl_out_specs=ipc:///srv/run/pushpin-zurl-in-1,ipc:///srv/run/pushpin-zurl-in-2'), p.title);
    assert.ok(p.args.includes('--set=proxy.zurl_out_stream_specs=ipc:///srv/run/pushpin-zurl-in-stream-1,ipc:///srv/run/pushpin-zurl-in-stream-2'));
    assert.ok(p.args.includes('--set=proxy.zurl_in_specs=ipc:///srv/run/pushpin-zurl-out-1,ipc:///srv/run/pushpin-zurl-out-2'));
  }
  const handler = t.services.find((s) => s.name === 'handler')!;
  assert.ok(handler.args.includes('--proxy-bind'));
});

test('[proxy] workers from the config; the flag wins over it', () => {
  const cfg = config(STOCK.replace('[proxy]\n', '[proxy]\nworkers=2\n'));
  assert.equal(topo(cfg).services.filter((s) => s.name === 'proxy').length, 2);
  assert.equal(topo(cfg, { proxyWorkers: 1 }).services.filter((s) => s.name === 'proxy').length, 1);
  assert.ok(!topo(cfg, { proxyWorkers: 1 }).services.find((s) => s.name === 'handler')!.args.includes('--proxy-bind'));
});
