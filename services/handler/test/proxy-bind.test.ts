import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText } from '@pushpin-ts/config';
import { parseArgs } from '../src/args.js';
import { bindProxyFacing } from '../src/proxy-bind.js';

const LIBDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config');
const INTERNAL = fs.readFileSync(path.join(LIBDIR, 'internal.conf'), 'utf8');

test('--proxy-bind: proxy-facing specs bind ("@"); connection manager specs and publish inputs untouched', () => {
  assert.equal(parseArgs(['--proxy-bind']).proxyBind, true);
  assert.equal(parseArgs([]).proxyBind, false);
  const cfg = parseConfigText('[global]\ninclude={libdir}/internal.conf\nrundir=/r\n[handler]\npush_in_spec=tcp://127.0.0.1:5560\n', {
    file: '/etc/pushpin.conf', libdir: LIBDIR, includeText: () => INTERNAL,
  });
  const h = bindProxyFacing(cfg).handler;
  assert.equal(h.proxyAcceptSpec, '@ipc:///r/pushpin-accept');
  assert.equal(h.proxyInspectSpec, '@ipc:///r/pushpin-inspect');
  assert.equal(h.proxyRetryOutSpec, '@ipc:///r/pushpin-retry');
  assert.equal(h.proxyWsControlInSpec, '@ipc:///r/pushpin-ws-control-out');
  assert.equal(h.proxyStatsSpec, '@ipc:///r/pushpin-proxy-stats');
  assert.deepEqual(h.proxyIntreqOutSpecs, ['@ipc:///r/pushpin-intreq-in']);
  assert.deepEqual(h.proxyIntreqInSpecs, ['@ipc:///r/pushpin-intreq-out']);
  assert.deepEqual(h.condureInStreamSpecs, ['ipc:///r/pushpin-condure-out-stream']);
  assert.equal(h.pushInSpec, 'tcp://127.0.0.1:5560');
  assert.equal(cfg.handler.proxyAcceptSpec, 'ipc:///r/pushpin-accept');
});
