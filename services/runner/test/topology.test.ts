import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeLogLevels, parseConfigText, parseLogLevelSpec } from '@pushpin-ts/config';
import type { PushpinConfig } from '@pushpin-ts/config';
import { computeTopology, DEFAULT_NODE_FLAGS, NoPortsError } from '../src/index.js';
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
