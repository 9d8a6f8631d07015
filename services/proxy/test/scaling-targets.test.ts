import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfigText, parseRoutes } from '@pushpin-ts/config';
import { parseArgs, parseClientRequest, ProxyArgsError } from '../src/index.js';
import { connectHandlerFacing } from '../src/sockets.js';
import { customFirstPacket, failureStatus } from '../src/zhttp-target.js';

const LIBDIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../config');
const INTERNAL = fs.readFileSync(path.join(LIBDIR, 'internal.conf'), 'utf8');

test('scaling flags: --id, --handler-connect, --zhttp-timeout', () => {
  const a = parseArgs(['--config=c', '--id=pushpin-proxy_{hostname}_{pid}', '--handler-connect', '--zhttp-timeout', '2500']);
  assert.equal(a.id, 'pushpin-proxy_{hostname}_{pid}');
  assert.equal(a.handlerConnect, true);
  assert.equal(a.zhttpTimeoutMs, 2500);
  assert.equal(parseArgs(['--config=c']).handlerConnect, false);
  for (const argv of [['--config=c', '--id='], ['--config=c', '--zhttp-timeout=0'], ['--config=c', '--zhttp-timeout=soon']]) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ProxyArgsError && e.code === 'PP_ERR_PROXY_ARGS', argv.join(' '));
  }
});

test('--handler-connect: every handler-facing spec connects (">"), connection manager and zurl specs untouched', () => {
  const cfg = parseConfigText('[global]\ninclude={libdir}/internal.conf\nrundir=/r\n', {
    file: '/etc/pushpin.conf', libdir: LIBDIR, includeText: () => INTERNAL,
  });
  const p = connectHandlerFacing(cfg).proxy;
  assert.equal(p.handlerAcceptSpec, '>ipc:///r/pushpin-accept');
  assert.equal(p.handlerInspectSpec, '>ipc:///r/pushpin-inspect');
  assert.equal(p.handlerRetryInSpec, '>ipc:///r/pushpin-retry');
  assert.equal(p.handlerWsControlInSpec, '>ipc:///r/pushpin-ws-control-in');
  assert.equal(p.statsSpec, '>ipc:///r/pushpin-proxy-stats');
  assert.equal(p.commandSpec, '>ipc:///r/pushpin-proxy-command');
  assert.deepEqual(p.intreqInSpecs, ['>ipc:///r/pushpin-intreq-in']);
  assert.deepEqual(p.intreqOutSpecs, ['>ipc:///r/pushpin-intreq-out']);
  assert.deepEqual(p.condureInSpecs, ['ipc:///r/pushpin-condure-out']);
  assert.deepEqual(p.zurlOutSpecs, ['ipc:///r/pushpin-zurl-in']);
  // idempotent, and the original stays as it was
  assert.equal(connectHandlerFacing(connectHandlerFacing(cfg)).proxy.handlerAcceptSpec, '>ipc:///r/pushpin-accept');
  assert.equal(cfg.proxy.handlerAcceptSpec, 'ipc:///r/pushpin-accept');
});

test('custom targets: first packet carries the rewritten URI and no HTTP-client fields; failures map to 502 (as Pushpin)', () => {
  const { routes } = parseRoutes('*,path_beg=/api,path_rem=4,replace_beg=/v2 zhttpreq/ipc:///tmp/h\n', { file: 'routes' });
  const route = routes[0]!;
  assert.equal(route.targets[0]!.type, 'zhttpreq');
  const req = parseClientRequest({ id: '1', method: 'POST', uri: 'http://example.com/api/x?y=1', headers: [['Host', 'example.com']], peerAddress: '10.0.0.1' }, false);
  const first = customFirstPacket(req, route, [['Host', 'example.com']]);
  assert.equal(first.uri, 'http://example.com/v2/x?y=1');
  assert.equal(first.method, 'POST');
  assert.equal(first.stream, true);
  assert.equal(first.credits, 200_000);
  assert.equal(first.ignorePolicies, true);
  assert.equal(first.peerAddress, undefined);
  assert.equal(first.connectHost, undefined);
  for (const f of ['timeout', 'unreachable', 'bad-response', 'closed'] as const) assert.equal(failureStatus(f), 502);
});
