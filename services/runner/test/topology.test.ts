import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeLogLevels, parseConfigText, parseLogLevelSpec } from '@pushpin-ts/config';
import type { PushpinConfig } from '@pushpin-ts/config';
import { computeTopology, DEFAULT_NODE_FLAGS, NoPortsError, parseArgs, UsageError, WorkersError } from '../src/index.js';
import type { ServiceSpec, TopologyOptions } from '../src/index.js';

const LIBDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config');
const STOCK = fs.readFileSync(path.join(LIBDIR, 'pushpin.conf'), 'utf8');
const INTERNAL = fs.readFileSync(path.join(LIBDIR, 'internal.conf'), 'utf8');
const NODE = '/usr/bin/node';
const SVC = '/repo/services';

function config(text: string, opts: { ipcPrefix?: string } = {}): PushpinConfig {
  return parseConfigText(text, { file: '/etc/pp/pushpin.conf', libdir: LIBDIR, cwd: '/srv', includeText: (p) => (p.endsWith('internal.conf') ? INTERNAL : undefined), ...opts });
}

function topo(cfg: PushpinConfig, extra: Partial<TopologyOptions> = {}) {
  return computeTopology(cfg, { configFile: cfg.file, libdir: LIBDIR, servicesDir: SVC, nodePath: NODE, logLevels: cfg.runner.logLevel, ...extra });
}

const byName = (services: readonly ServiceSpec[], name: string): ServiceSpec => {
  const s = services.find((x) => x.name === name);
  assert.ok(s, name);
  return s;
};

test('stock config: the four services with Pushpin 1.36 argument lists', () => {
  const t = topo(config(STOCK));
  assert.equal(t.rundir, '/srv/run');
  assert.equal(t.logdir, '/srv/log');
  assert.equal(t.filePrefix, '');
  assert.deepEqual(t.services.map((s) => s.title), ['condure', 'zurl', 'pushpin-proxy', 'pushpin-handler']);

  const condure = byName(t.services, 'condure');
  assert.equal(condure.command, NODE);
  assert.deepEqual(condure.args, [
    `${SVC}/connmgr/bin/pushpin-connmgr.js`,
    '--log-level=2',
    '--listen=0.0.0.0:7999,stream',
    '--zclient-stream=ipc:///srv/run/pushpin-condure',
    '--buffer-size=8192',
    '--stream-maxconn=50000',
    '--id=condure',
  ]);
  assert.equal(condure.logFile, '/srv/log/condure.log');
  assert.equal(condure.pidFile, '/srv/run/condure.pid');
  assert.equal(condure.forwardHup, false);

  const zurl = byName(t.services, 'zurl');
  assert.deepEqual([zurl.command, ...zurl.args], [NODE, `${SVC}/zurl/bin/pushpin-zurl.js`, '--config=/srv/run/zurl.conf', '--loglevel=2']);
  assert.equal(zurl.forwardHup, true);

  const proxy = byName(t.services, 'proxy');
  assert.deepEqual([proxy.command, ...proxy.args], [NODE, `${SVC}/proxy/bin/pushpin-proxy.js`, '--config=/etc/pp/pushpin.conf', '--ipc-prefix=pushpin-', '--loglevel=2', '--quiet-check', `--libdir=${LIBDIR}`]);
  assert.equal(proxy.logFile, '/srv/log/pushpin-proxy.log');
  assert.equal(proxy.pidFile, '/srv/run/pushpin-proxy.pid');

  const handler = byName(t.services, 'handler');
  assert.deepEqual([handler.command, ...handler.args], [NODE, `${SVC}/handler/bin/pushpin-handler.js`, '--config=/etc/pp/pushpin.conf', '--ipc-prefix=pushpin-', '--loglevel=2', `--libdir=${LIBDIR}`]);

  assert.equal(t.files.length, 1);
  assert.equal(t.files[0]?.path, '/srv/run/zurl.conf');
  const zconf = t.files[0]?.text ?? '';
  for (const line of ['[General]', 'instance_id=', 'in_spec=ipc:///srv/run/pushpin-zurl-in', 'in_stream_spec=ipc:///srv/run/pushpin-zurl-in-stream', 'out_spec=ipc:///srv/run/pushpin-zurl-out', 'in_req_spec=', 'defpolicy=allow', 'deny=127.*,10.*,192.168.*,*.local', 'max_open_requests=2000', 'buffer_size=200000', 'timeout=600', 'in_hwm=1000', 'out_hwm=1000']) {
    assert.ok(zconf.split('\n').includes(line), line);
  }
});

test('--id sets the ipc prefix, file prefix and handler port offset; routes and --set are passed on', () => {
  const cfg = config(STOCK, { ipcPrefix: 'p3-' });
  const t = topo(cfg, { id: 3, routes: ['* test', 'a.example 1.2.3.4:80'], set: [['proxy.debug', 'true']] });
  assert.equal(t.filePrefix, 'p3-');
  assert.equal(t.portOffset, 30);
  assert.ok(byName(t.services, 'condure').args.includes('--zclient-stream=ipc:///srv/run/p3-condure'));
  assert.equal(byName(t.services, 'condure').pidFile, '/srv/run/p3-condure.pid');
  assert.equal(byName(t.services, 'zurl').logFile, '/srv/log/p3-zurl.log');
  assert.ok(byName(t.services, 'zurl').args.includes('--config=/srv/run/p3-zurl.conf'));
  assert.ok(t.files[0]?.text.includes('in_spec=ipc:///srv/run/p3-zurl-in'));
  const proxy = byName(t.services, 'proxy').args;
  assert.deepEqual(proxy.filter((a) => a.startsWith('--route=')), ['--route=* test', '--route=a.example 1.2.3.4:80']);
  assert.ok(proxy.includes('--ipc-prefix=p3-'));
  assert.ok(proxy.includes('--set=proxy.debug=true'));
  const handler = byName(t.services, 'handler').args;
  assert.deepEqual(handler.slice(1, 4), ['--config=/etc/pp/pushpin.conf', '--ipc-prefix=p3-', '--port-offset=30']);
  assert.equal(topo(config(STOCK), { id: 0 }).services.find((s) => s.name === 'handler')?.args.some((a) => a.startsWith('--port-offset')), false);
});

test('listen arguments: http, https, local, --port and compression', () => {
  const cfg = config(`[global]\nrundir=/r\n[runner]\nservices=condure\nhttp_port=7999,[::1]:8000\nhttps_ports=127.0.0.1:443\nlocal_ports={rundir}/{ipc_prefix}server,/s?mode=660&user=u\nallow_compression=true\n`);
  const args = byName(topo(cfg).services, 'condure').args;
  assert.deepEqual(args.filter((a) => a.startsWith('--listen=')), [
    '--listen=0.0.0.0:7999,stream',
    '--listen=[::1]:8000,stream',
    '--listen=127.0.0.1:443,stream,tls,default-cert=default_443',
    '--listen=/r/pushpin-server,local,stream',
    '--listen=/s,local,stream,mode=660,user=u',
  ]);
  assert.ok(args.includes('--compression'));
  assert.ok(args.includes('--tls-identities-dir=/etc/pp/runner/certs'));
  const single = byName(topo(cfg, { port: { addr: '0.0.0.0', port: 9000 } }).services, 'condure').args;
  assert.deepEqual(single.filter((a) => a.startsWith('--listen=') || a.startsWith('--tls')), ['--listen=0.0.0.0:9000,stream']);
});

test('custom condure_bin / zurl_bin run that binary with the same flags', () => {
  const cfg = config(`[global]\nrundir=/r\n[runner]\nservices=connmgr,zurl\nhttp_port=1\ncondure_bin=/usr/bin/condure\nzurl_bin=/opt/zurl\n`);
  const t = topo(cfg);
  const c = byName(t.services, 'condure');
  assert.equal(c.command, '/usr/bin/condure');
  assert.equal(c.args[0], '--log-level=2');
  const z = byName(t.services, 'zurl');
  assert.deepEqual([z.command, ...z.args], ['/opt/zurl', '--config=/r/zurl.conf', '--loglevel=2']);
});

test('node flags go before the script of our services only', () => {
  const cfg = config(`[global]\nrundir=/r\n[runner]\nservices=connmgr,zurl,proxy\nhttp_port=1\nzurl_bin=/opt/zurl\n`);
  const t = topo(cfg, { nodeFlags: { connmgr: ['--max-semi-space-size=2'], proxy: ['--a', '--b'] } });
  const c = byName(t.services, 'condure');
  assert.deepEqual([c.command, c.args[0], c.args[1]], [NODE, '--max-semi-space-size=2', `${SVC}/connmgr/bin/pushpin-connmgr.js`]);
  const p = byName(t.services, 'proxy');
  assert.deepEqual([p.command, ...p.args.slice(0, 3)], [NODE, '--a', '--b', `${SVC}/proxy/bin/pushpin-proxy.js`]);
  assert.equal(byName(t.services, 'zurl').command, '/opt/zurl');
  assert.ok(DEFAULT_NODE_FLAGS.proxy.every((f) => f.startsWith('--')));
});

test('per-service log levels, merge output, service order and selection', () => {
  const cfg = config(`[global]\nrundir=/r\n[runner]\nservices=pushpin-handler,proxy,zurl\nlogdir=/logs\nlog_level=1,pushpin-handler:3,zurl:4\n`);
  const levels = mergeLogLevels(cfg.runner.logLevel, parseLogLevelSpec('proxy:0'));
  const t = topo(cfg, { logLevels: levels, mergeOutput: true });
  assert.deepEqual(t.services.map((s) => s.name), ['zurl', 'proxy', 'handler']);
  assert.ok(byName(t.services, 'zurl').args.includes('--loglevel=4'));
  assert.ok(byName(t.services, 'proxy').args.includes('--loglevel=0'));
  assert.ok(byName(t.services, 'handler').args.includes('--loglevel=3'));
  assert.equal(t.logdir, undefined);
  assert.ok(t.services.every((s) => s.logFile === undefined));
  assert.deepEqual(topo(cfg).services.map((s) => s.logFile), ['/logs/zurl.log', '/logs/pushpin-proxy.log', '/logs/pushpin-handler.log']);
});

test('condure without any port is an error', () => {
  const cfg = config(`[global]\nrundir=/r\n[runner]\nservices=condure,pushpin-proxy\n`);
  assert.throws(() => topo(cfg), (e: unknown) => e instanceof NoPortsError && e.code === 'PP_ERR_RUNNER_NO_PORTS');
  assert.equal(topo(cfg, { port: { addr: '0.0.0.0', port: 1 } }).services.length, 2);
  const proxyOnly = topo(config(`[global]\nrundir=/r\n[runner]\nservices=proxy\n`)).services;
  assert.equal(proxyOnly.length, 1);
  assert.equal(proxyOnly[0]?.args.includes('--quiet-check'), false, '--quiet-check only with a local zurl');
});

// ---- --connmgr-workers: several connection-manager processes sharing the client ports

/** The value of a `--set=<key>=<value>` argument, or undefined. */
const setOf = (args: readonly string[], key: string): string | undefined => {
  const a = args.find((x) => x.startsWith(`--set=${key}=`));
  return a === undefined ? undefined : a.slice(`--set=${key}=`.length);
};

test('--connmgr-workers: parsed, 1..64, absent by default', () => {
  assert.equal(parseArgs(['--connmgr-workers=6']).connmgrWorkers, 6);
  assert.equal(parseArgs(['--connmgr-workers', '2']).connmgrWorkers, 2);
  assert.equal(parseArgs([]).connmgrWorkers, undefined);
  for (const bad of ['--connmgr-workers=0', '--connmgr-workers=x', '--connmgr-workers=65', '--connmgr-workers=-1']) {
    assert.throws(() => parseArgs([bad]), (e: unknown) => e instanceof UsageError && e.code === 'PP_ERR_RUNNER_USAGE' && /connmgr-workers/.test(e.message), bad);
  }
});

test('one connection manager (the default and --connmgr-workers=1): Pushpin\'s name, id and endpoints, no SO_REUSEPORT', () => {
  for (const t of [topo(config(STOCK)), topo(config(STOCK), { connmgrWorkers: 1 })]) {
    const c = t.services.filter((s) => s.name === 'condure');
    assert.deepEqual(c.map((s) => s.title), ['condure']);
    assert.ok(c[0]!.args.includes('--zclient-stream=ipc:///srv/run/pushpin-condure'));
    assert.ok(c[0]!.args.includes('--id=condure'));
    assert.ok(!c[0]!.args.includes('--reuse-port'));
    for (const s of t.services) assert.ok(!s.args.some((a) => a.startsWith('--set=proxy.condure_')), s.title);
  }
});

test('3 connection managers: own names, ids, endpoints, pid and log files; shared port with --reuse-port; proxy and handler connect to all', () => {
  const t = topo(config(STOCK), { connmgrWorkers: 3 });
  assert.deepEqual(t.services.map((s) => s.title), ['condure-1', 'condure-2', 'condure-3', 'zurl', 'pushpin-proxy', 'pushpin-handler']);
  assert.equal(new Set(t.services.map((s) => s.pidFile)).size, t.services.length, 'distinct pid files');
  assert.equal(new Set(t.services.map((s) => s.logFile)).size, t.services.length, 'distinct log files');
  const cms = t.services.filter((s) => s.name === 'condure');
  cms.forEach((c, i) => {
    const n = i + 1;
    assert.deepEqual([c.command, ...c.args], [
      NODE, `${SVC}/connmgr/bin/pushpin-connmgr.js`,
      '--log-level=2',
      '--listen=0.0.0.0:7999,stream',
      `--zclient-stream=ipc:///srv/run/pushpin-condure-${n}`,
      '--buffer-size=8192',
      '--stream-maxconn=50000',
      '--reuse-port',
      `--id=condure-${n}`,
    ]);
    assert.equal(c.pidFile, `/srv/run/condure-${n}.pid`);
    assert.equal(c.logFile, `/srv/log/condure-${n}.log`);
    assert.equal(c.forwardHup, false);
  });
  const want = {
    'proxy.condure_in_specs': 'ipc:///srv/run/pushpin-condure-1-out,ipc:///srv/run/pushpin-condure-2-out,ipc:///srv/run/pushpin-condure-3-out',
    'proxy.condure_in_stream_specs': 'ipc:///srv/run/pushpin-condure-1-out-stream,ipc:///srv/run/pushpin-condure-2-out-stream,ipc:///srv/run/pushpin-condure-3-out-stream',
    'proxy.condure_out_specs': 'ipc:///srv/run/pushpin-condure-1-in,ipc:///srv/run/pushpin-condure-2-in,ipc:///srv/run/pushpin-condure-3-in',
  };
  for (const name of ['proxy', 'handler'] as const) {
    const args = byName(t.services, name).args;
    for (const [k, v] of Object.entries(want)) assert.equal(setOf(args, k), v, `${name} ${k}`);
  }
  // nothing else changes: one zurl, one proxy, the handler does not bind for the proxies
  assert.ok(!byName(t.services, 'proxy').args.includes('--handler-connect'));
  assert.ok(!byName(t.services, 'handler').args.includes('--proxy-bind'));
});

test('the --set lists reach what proxy and handler read, even over [proxy] connmgr_* keys in the config', () => {
  const t = topo(config(STOCK), { connmgrWorkers: 2 });
  const sets = (name: 'proxy' | 'handler'): Array<[string, string]> => byName(t.services, name).args
    .filter((a) => a.startsWith('--set=')).map((a) => { const kv = a.slice(6); const eq = kv.indexOf('='); return [kv.slice(0, eq), kv.slice(eq + 1)]; });
  // a config that uses the newer key names for a single connection manager
  const text = STOCK.replace('[proxy]\n', '[proxy]\nconnmgr_in_specs=ipc://{rundir}/x-out\nconnmgr_in_stream_specs=ipc://{rundir}/x-out-stream\nconnmgr_out_specs=ipc://{rundir}/x-in\n');
  const base = { file: '/etc/pp/pushpin.conf', libdir: LIBDIR, cwd: '/srv', includeText: (p: string) => (p.endsWith('internal.conf') ? INTERNAL : undefined) };
  for (const cfgText of [STOCK, text]) {
    const p = parseConfigText(cfgText, { ...base, set: sets('proxy') }).proxy;
    assert.deepEqual(p.condureInSpecs, ['ipc:///srv/run/pushpin-condure-1-out', 'ipc:///srv/run/pushpin-condure-2-out']);
    assert.deepEqual(p.condureInStreamSpecs, ['ipc:///srv/run/pushpin-condure-1-out-stream', 'ipc:///srv/run/pushpin-condure-2-out-stream']);
    assert.deepEqual(p.condureOutSpecs, ['ipc:///srv/run/pushpin-condure-1-in', 'ipc:///srv/run/pushpin-condure-2-in']);
    const h = parseConfigText(cfgText, { ...base, set: sets('handler') }).handler;
    assert.deepEqual(h.condureInStreamSpecs, ['ipc:///srv/run/pushpin-condure-1-out-stream', 'ipc:///srv/run/pushpin-condure-2-out-stream']);
    assert.deepEqual(h.condureOutSpecs, ['ipc:///srv/run/pushpin-condure-1-in', 'ipc:///srv/run/pushpin-condure-2-in']);
  }
});

test('connection-manager workers with --id, proxy workers, https and local ports', () => {
  const cfg = config(`[global]\nrundir=/r\n[runner]\nservices=condure,proxy,handler\nhttp_port=8000\nhttps_ports=8443\nlocal_ports=/r/s.sock\n`, { ipcPrefix: 'p2-' });
  const t = topo(cfg, { id: 2, connmgrWorkers: 2, proxyWorkers: 2 });
  assert.deepEqual(t.services.map((s) => s.title), ['condure-1', 'condure-2', 'pushpin-proxy-1', 'pushpin-proxy-2', 'pushpin-handler']);
  const [c1, c2] = t.services.filter((s) => s.name === 'condure') as [ServiceSpec, ServiceSpec];
  // TCP ports shared by both; a unix socket path cannot be shared, so only the first has it
  assert.deepEqual(c1.args.filter((a) => a.startsWith('--listen=')), ['--listen=0.0.0.0:8000,stream', '--listen=0.0.0.0:8443,stream,tls,default-cert=default_8443', '--listen=/r/s.sock,local,stream']);
  assert.deepEqual(c2.args.filter((a) => a.startsWith('--listen=')), ['--listen=0.0.0.0:8000,stream', '--listen=0.0.0.0:8443,stream,tls,default-cert=default_8443']);
  assert.ok(c2.args.includes('--zclient-stream=ipc:///r/p2-condure-2') && c2.args.includes('--id=condure-2') && c2.args.includes('--reuse-port'));
  assert.equal(c2.pidFile, '/r/p2-condure-2.pid');
  for (const p of t.services.filter((s) => s.name === 'proxy')) {
    assert.equal(setOf(p.args, 'proxy.condure_out_specs'), 'ipc:///r/p2-condure-1-in,ipc:///r/p2-condure-2-in');
    assert.ok(p.args.includes('--handler-connect'));
  }
});

test('connection-manager workers that cannot be run are clear errors', () => {
  const err = (re: RegExp) => (e: unknown) => e instanceof WorkersError && e.code === 'PP_ERR_RUNNER_WORKERS' && re.test(e.message);
  const external = config(`[global]\nrundir=/r\n[runner]\nservices=condure,proxy\nhttp_port=1\ncondure_bin=/usr/bin/condure\n`);
  assert.throws(() => topo(external, { connmgrWorkers: 2 }), err(/condure_bin=condure.*\/usr\/bin\/condure/));
  assert.equal(topo(external, { connmgrWorkers: 1 }).services[0]?.command, '/usr/bin/condure');
  const noCondure = config(`[global]\nrundir=/r\n[runner]\nservices=proxy,handler\nhttp_port=1\n`);
  assert.throws(() => topo(noCondure, { connmgrWorkers: 3 }), err(/does not include condure/));
  const localOnly = config(`[global]\nrundir=/r\n[runner]\nservices=condure\nlocal_ports=/r/s.sock\n`);
  assert.throws(() => topo(localOnly, { connmgrWorkers: 2 }), err(/TCP port/));
  assert.equal(topo(localOnly, { connmgrWorkers: 2, port: { addr: '127.0.0.1', port: 9 } }).services.length, 2);
});
