import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { loadConfig, parseRoutes, RouteTable } from '../src/index.js';

// dist/test/stock-config.test.js -> repo root config/
const LIBDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config');

test('the shipped pushpin.conf + internal.conf give the 1.36 topology', () => {
  const c = loadConfig(path.join(LIBDIR, 'pushpin.conf'), { libdir: LIBDIR, cwd: '/srv/app' });
  const r = (name: string): string => `ipc:///srv/app/run/pushpin-${name}`;
  assert.deepEqual(c.warnings, []);
  assert.equal(c.includeFile, path.join(LIBDIR, 'internal.conf'));
  assert.equal(c.global.rundir, '/srv/app/run');
  assert.deepEqual(c.runner.services, ['condure', 'zurl', 'proxy', 'handler']);
  assert.deepEqual(c.runner.httpPorts, [{ addr: '0.0.0.0', port: 7999 }]);
  assert.equal(c.runner.logdir, '/srv/app/log');
  assert.equal(c.proxy.routesfile, path.join(LIBDIR, 'routes'));
  assert.equal(c.proxy.sigKey, 'changeme');
  assert.deepEqual(c.proxy.condureInSpecs, [r('condure-out')]);
  assert.deepEqual(c.proxy.condureInStreamSpecs, [r('condure-out-stream')]);
  assert.deepEqual(c.proxy.condureOutSpecs, [r('condure-in')]);
  assert.deepEqual(c.proxy.zurlOutSpecs, [r('zurl-in')]);
  assert.deepEqual(c.proxy.zurlOutStreamSpecs, [r('zurl-in-stream')]);
  assert.deepEqual(c.proxy.zurlInSpecs, [r('zurl-out')]);
  assert.equal(c.proxy.handlerInspectSpec, r('inspect'));
  assert.equal(c.proxy.handlerAcceptSpec, r('accept'));
  assert.equal(c.proxy.handlerRetryInSpec, r('retry'));
  assert.equal(c.proxy.handlerWsControlInSpec, r('ws-control-in'));
  assert.equal(c.proxy.handlerWsControlOutSpec, r('ws-control-out'));
  assert.equal(c.proxy.statsSpec, r('proxy-stats'));
  assert.equal(c.proxy.commandSpec, r('proxy-command'));
  assert.deepEqual(c.proxy.intreqInSpecs, [r('intreq-in')]);
  assert.deepEqual(c.proxy.intreqInStreamSpecs, [r('intreq-in-stream')]);
  assert.deepEqual(c.proxy.intreqOutSpecs, [r('intreq-out')]);
  assert.equal(c.handler.proxyInspectSpec, r('inspect'));
  assert.equal(c.handler.proxyAcceptSpec, r('accept'));
  assert.equal(c.handler.proxyRetryOutSpec, r('retry'));
  assert.equal(c.handler.proxyWsControlInSpec, r('ws-control-out'));
  assert.equal(c.handler.proxyWsControlOutSpec, r('ws-control-in'));
  assert.equal(c.handler.proxyStatsSpec, r('proxy-stats'));
  assert.equal(c.handler.proxyCommandSpec, r('proxy-command'));
  assert.deepEqual(c.handler.condureInStreamSpecs, [r('condure-out-stream')]);
  assert.deepEqual(c.handler.condureOutSpecs, [r('condure-in')]);
  assert.deepEqual(c.handler.proxyIntreqOutSpecs, [r('intreq-in')]);
  assert.deepEqual(c.handler.proxyIntreqOutStreamSpecs, [r('intreq-in-stream')]);
  assert.deepEqual(c.handler.proxyIntreqInSpecs, [r('intreq-out')]);
  assert.equal(c.handler.pushInSpec, 'tcp://127.0.0.1:5560');
  assert.deepEqual(c.handler.pushInSubSpecs, ['tcp://127.0.0.1:5562']);
  assert.equal(c.handler.pushInHttpAddr, '127.0.0.1');
  assert.equal(c.handler.pushInHttpPort, 5561);
  assert.equal(c.handler.commandSpec, 'tcp://127.0.0.1:5563');
  assert.equal(c.handler.statsSpec, r('stats'));
  assert.equal(c.handler.messageRate, 2500);
  assert.equal(c.handler.messageHwm, 25000);
  assert.equal(c.handler.idCacheTtl, 60);
  assert.equal(c.handler.statsFormat, 'tnetstring');
});

test('the shipped routes file routes everything to the test target', () => {
  const { routes, errors } = parseRoutes(fs.readFileSync(path.join(LIBDIR, 'routes'), 'utf8'));
  assert.deepEqual(errors, []);
  const t = new RouteTable(routes);
  assert.deepEqual(t.match({ host: 'any.example', path: '/', isWebSocket: false, isTls: false })?.targets, [{ type: 'test' }]);
});

test('loadConfig reports a missing file with PP_ERR_CONFIG_NOT_FOUND', () => {
  assert.throws(() => loadConfig('/nonexistent/pushpin.conf', { libdir: LIBDIR }), { code: 'PP_ERR_CONFIG_NOT_FOUND' });
});
