import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfigText, defaults } from '../src/index.js';
import type { ParseConfigOptions, PushpinConfig } from '../src/index.js';

const INTERNAL = `
[proxy]
condure_in_specs=ipc://{rundir}/{ipc_prefix}condure-out
condure_in_stream_specs=ipc://{rundir}/{ipc_prefix}condure-out-stream
condure_out_specs=ipc://{rundir}/{ipc_prefix}condure-in
zurl_out_specs=ipc://{rundir}/{ipc_prefix}zurl-in
handler_inspect_spec=ipc://{rundir}/{ipc_prefix}inspect
debug=true
[handler]
proxy_inspect_spec=ipc://{rundir}/{ipc_prefix}inspect
condure_out_specs=ipc://{rundir}/{ipc_prefix}handler-section-only
message_rate=100
`;

function parse(text: string, opts: Partial<ParseConfigOptions> = {}, files: Record<string, string> = {}): PushpinConfig {
  return parseConfigText(text, {
    file: '/etc/pp/pushpin.conf',
    libdir: '/usr/lib/pp',
    cwd: '/work',
    includeText: (p) => files[p],
    ...opts,
  });
}

test('missing keys take the defaults', () => {
  const c = parse('[runner]\nhttp_port=7999\n');
  assert.equal(c.global.ipcPrefix, 'pushpin-');
  assert.equal(c.global.portOffset, 0);
  assert.equal(c.global.statsConnectionTtl, defaults.global.stats_connection_ttl);
  assert.equal(c.proxy.sigIss, 'pushpin');
  assert.equal(c.proxy.maxOpenRequests, -1);
  assert.equal(c.handler.messageWait, 5000);
  assert.equal(c.handler.pushInHttpMaxHeadersSize, 10000);
  assert.equal(c.handler.pushInHttpPort, -1);
  assert.equal(c.runner.clientBufferSize, 8192);
  assert.equal(c.runner.condureBin, 'condure');
  assert.deepEqual(c.runner.logLevel, { default: 2, per: {} });
  assert.equal(c.proxy.routesfile, undefined);
  assert.equal(c.runner.logdir, undefined);
});

test('typed values: booleans, integers, lists, quoted strings', () => {
  const c = parse(`
[proxy]
debug=yes
auto_cross_origin=0
accept_pushpin_route=FALSE
log_from=
x_forwarded_for=truncate:0, append
x_forwarded_for_trusted="truncate:0,append"
orig_headers_need_mark=x-a
sig_key="a,b c"
max_open_requests=abc
ipc_file_mode=0660
set_x_forwarded_protocol=proto-only
[handler]
message_rate=2500
share_all=1
`);
  assert.equal(c.proxy.debug, true);
  assert.equal(c.proxy.autoCrossOrigin, false);
  assert.equal(c.proxy.acceptPushpinRoute, false);
  assert.equal(c.proxy.logFrom, false);
  assert.deepEqual(c.proxy.xForwardedFor, ['truncate:0', 'append']);
  assert.deepEqual(c.proxy.xForwardedForTrusted, ['truncate:0,append']);
  assert.deepEqual(c.proxy.origHeadersNeedMark, ['x-a']);
  assert.equal(c.proxy.sigKey, 'a,b c');
  assert.equal(c.proxy.maxOpenRequests, -1, 'invalid number falls back to the default');
  assert.ok(c.warnings.some((w) => w.code === 'PP_WARN_CONFIG_NUMBER' && w.line === 11 && w.file === '/etc/pp/pushpin.conf'));
  assert.equal(c.proxy.ipcFileMode, 0o660);
  assert.equal(c.proxy.setXForwardedProtocol, 'proto-only');
  assert.equal(c.handler.messageRate, 2500);
  assert.equal(c.handler.shareAll, true);
});

test('each problem is reported once', () => {
  const c = parse('[global]\nrundir=/r\nport_offset=abc\n[proxy]\nworkers=x\n');
  assert.equal(c.global.portOffset, 0);
  assert.deepEqual(c.warnings.map((w) => [w.code, w.line]), [['PP_WARN_CONFIG_NUMBER', 3], ['PP_WARN_CONFIG_NUMBER', 5]]);
});

test('set_x_forwarded_protocol is compared exactly', () => {
  const cases: Array<[string, string]> = [['true', 'true'], ['proto-only', 'proto-only'], ['false', ''], ['yes', ''], ['', '']];
  for (const [v, want] of cases) assert.equal(parse(`[proxy]\nset_x_forwarded_protocol=${v}\n`).proxy.setXForwardedProtocol, want, v);
});

test('include: main file wins, include fills the rest, relative and internal.conf forms', () => {
  const files = { '/usr/lib/pp/internal.conf': INTERNAL, '/etc/pp/extra.conf': '[proxy]\nsig_iss=from-extra\n' };
  const main = '[global]\ninclude={libdir}/internal.conf\nrundir=/r\n[proxy]\ndebug=false\n';
  const c = parse(main, {}, files);
  assert.equal(c.includeFile, '/usr/lib/pp/internal.conf');
  assert.equal(c.proxy.debug, false, 'main file wins');
  assert.equal(c.handler.messageRate, 100, 'include fills missing keys');
  assert.deepEqual(c.proxy.condureInSpecs, ['ipc:///r/pushpin-condure-out']);

  assert.equal(parse('[global]\ninclude=internal.conf\n', {}, files).includeFile, '/usr/lib/pp/internal.conf');
  const rel = parse('[global]\ninclude=extra.conf\n', {}, files);
  assert.equal(rel.includeFile, '/etc/pp/extra.conf');
  assert.equal(rel.proxy.sigIss, 'from-extra');
});

test('include: only one level, and a missing include is an error naming the line', () => {
  const files = { '/etc/pp/a.conf': '[global]\ninclude=b.conf\n[proxy]\nsig_iss=a\n', '/etc/pp/b.conf': '[proxy]\nsig_iss=b\ndebug=true\n' };
  const c = parse('[global]\ninclude=a.conf\n', {}, files);
  assert.equal(c.proxy.sigIss, 'a');
  assert.equal(c.proxy.debug, false, 'the include of the include is not read');
  assert.throws(
    () => parse('\n[global]\ninclude=nope.conf\n', {}, files),
    (e: unknown) => e instanceof ConfigError && e.code === 'PP_ERR_CONFIG_INCLUDE_NOT_FOUND' && e.line === 3 && /nope\.conf/.test(e.message),
  );
});

test('variables are substituted in every string and list element', () => {
  const c = parse(`
[global]
rundir=run
ipc_prefix=pp-
[runner]
local_ports={rundir}/{ipc_prefix}server,{libdir}/x
[proxy]
stats_spec=ipc://{rundir}/{ipc_prefix}proxy-stats
intreq_in_specs=ipc://{rundir}/{ipc_prefix}a,ipc://{rundir}/{ipc_prefix}b
sig_iss={ipc_prefix}iss
`);
  assert.equal(c.global.rundir, '/work/run', 'relative rundir is taken from the cwd');
  assert.deepEqual(c.runner.localPorts, ['/work/run/pp-server', '/usr/lib/pp/x']);
  assert.equal(c.proxy.statsSpec, 'ipc:///work/run/pp-proxy-stats');
  assert.deepEqual(c.proxy.intreqInSpecs, ['ipc:///work/run/pp-a', 'ipc:///work/run/pp-b']);
  assert.equal(c.proxy.sigIss, 'pp-iss');
});

test('ipc prefix and port offset options override the file', () => {
  const text = '[global]\nrundir=/r\nipc_prefix=a-\nport_offset=5\n[handler]\npush_in_spec=tcp://127.0.0.1:5560\nstats_spec=ipc://{rundir}/{ipc_prefix}stats\n';
  const c = parse(text, { ipcPrefix: 'p3-', portOffset: 30 });
  assert.equal(c.global.ipcPrefix, 'p3-');
  assert.equal(c.global.portOffset, 30);
  assert.equal(c.handler.pushInSpec, 'tcp://127.0.0.1:5590');
  assert.equal(c.handler.statsSpec, 'ipc:///r/p3-stats');
  assert.equal(parse(text).handler.pushInSpec, 'tcp://127.0.0.1:5565');
});

test('port offset applies to tcp:// specs and push_in_http_port, not to runner ports', () => {
  const c = parse(`
[global]
port_offset=30000
[runner]
http_port=7999
[handler]
push_in_spec=tcp://127.0.0.1:5560
push_in_sub_specs=tcp://127.0.0.1:5562,ipc://x,tcp://[::1]:5570
command_spec=tcp://*:5563
push_in_http_port=5561
stats_spec=ipc://x/stats
`);
  assert.equal(c.handler.pushInSpec, 'tcp://127.0.0.1:35560');
  assert.deepEqual(c.handler.pushInSubSpecs, ['tcp://127.0.0.1:35562', 'ipc://x', 'tcp://[::1]:35570']);
  assert.equal(c.handler.commandSpec, 'tcp://*:35563');
  assert.equal(c.handler.pushInHttpPort, 35561);
  assert.equal(c.handler.statsSpec, 'ipc://x/stats');
  assert.deepEqual(c.runner.httpPorts, [{ addr: '0.0.0.0', port: 7999 }]);
});

test('1.36 and newer key spellings are both read; the higher-priority file wins', () => {
  const cases: Array<[string, (c: PushpinConfig) => unknown, unknown]> = [
    ['[handler]\npush_in_max_headers_size=111\n', (c) => c.handler.pushInHttpMaxHeadersSize, 111],
    ['[handler]\npush_in_http_max_headers_size=222\n', (c) => c.handler.pushInHttpMaxHeadersSize, 222],
    ['[handler]\npush_in_max_body_size=333\n', (c) => c.handler.pushInHttpMaxBodySize, 333],
    ['[handler]\npush_in_http_max_body_size=444\npush_in_max_body_size=1\n', (c) => c.handler.pushInHttpMaxBodySize, 444],
    ['[proxy]\nconnmgr_in_specs=ipc://new\ncondure_in_specs=ipc://old\n', (c) => c.proxy.condureInSpecs, ['ipc://new']],
    ['[proxy]\ncondure_in_specs=ipc://old\n', (c) => c.proxy.condureInSpecs, ['ipc://old']],
    ['[handler]\nproxy_inspect_specs=ipc://a,ipc://b\n', (c) => c.handler.proxyInspectSpec, 'ipc://a'],
    ['[handler]\nproxy_inspect_spec=ipc://one\n', (c) => c.handler.proxyInspectSpec, 'ipc://one'],
    ['[handler]\nproxy_stats_specs=ipc://s\n', (c) => c.handler.proxyStatsSpec, 'ipc://s'],
    ['[handler]\npush_in_sub_spec=tcp://127.0.0.1:1\n', (c) => c.handler.pushInSubSpecs, ['tcp://127.0.0.1:1']],
  ];
  for (const [text, get, want] of cases) assert.deepEqual(get(parse(text)), want, text);

  // old spelling in the main file beats the newer spelling in the include
  const files = { '/etc/pp/inc.conf': '[proxy]\nconnmgr_in_specs=ipc://inc-new\n' };
  assert.deepEqual(parse('[global]\ninclude=inc.conf\n[proxy]\ncondure_in_specs=ipc://main-old\n', {}, files).proxy.condureInSpecs, ['ipc://main-old']);
});

test('handler reads the condure specs from [proxy] (1.36 quirk), [handler] only as fallback', () => {
  const files = { '/usr/lib/pp/internal.conf': INTERNAL };
  const c = parse('[global]\ninclude=internal.conf\nrundir=/r\n', {}, files);
  assert.deepEqual(c.handler.condureOutSpecs, ['ipc:///r/pushpin-condure-in']);
  assert.deepEqual(c.handler.condureInStreamSpecs, ['ipc:///r/pushpin-condure-out-stream']);
  const only = parse('[global]\nrundir=/r\n[handler]\ncondure_out_specs=ipc://h\n');
  assert.deepEqual(only.handler.condureOutSpecs, ['ipc://h']);
});

test('--set overrides beat main file and include', () => {
  const files = { '/usr/lib/pp/internal.conf': INTERNAL };
  const c = parse('[global]\ninclude=internal.conf\n[proxy]\nsig_iss=main\n', {
    set: [['proxy.sig_iss', 'cli'], ['handler/message_rate', '7'], ['global.rundir', '/cli-run'], ['proxy.x_forwarded_for', 'append,truncate:1']],
  }, files);
  assert.equal(c.proxy.sigIss, 'cli');
  assert.equal(c.handler.messageRate, 7);
  assert.equal(c.global.rundir, '/cli-run');
  assert.deepEqual(c.proxy.zurlOutSpecs, ['ipc:///cli-run/pushpin-zurl-in']);
  assert.deepEqual(c.proxy.xForwardedFor, ['append', 'truncate:1']);
  assert.throws(() => parse('', { set: [['nosection', 'x']] }), (e: unknown) => e instanceof ConfigError && e.code === 'PP_ERR_CONFIG_SET');
});

test('runner: services are normalised, ports parsed, log levels per service', () => {
  const c = parse(`
[runner]
services=connmgr,zurl,proxy,pushpin-handler,condure
http_port=7999,127.0.0.1:8000,[::1]:8001
https_ports=443
logdir=log
log_level=1,pushpin-proxy:3,connmgr:4
`);
  assert.deepEqual(c.runner.services, ['condure', 'zurl', 'proxy', 'handler']);
  assert.deepEqual(c.runner.httpPorts, [{ addr: '0.0.0.0', port: 7999 }, { addr: '127.0.0.1', port: 8000 }, { addr: '::1', port: 8001 }]);
  assert.deepEqual(c.runner.httpsPorts, [{ addr: '0.0.0.0', port: 443 }]);
  assert.equal(c.runner.logdir, '/work/log');
  assert.deepEqual(c.runner.logLevel, { default: 1, per: { proxy: 3, condure: 4 } });
});

test('invalid runner values are errors naming file and line', () => {
  const cases: Array<[string, RegExp, number]> = [
    ['[runner]\nhttp_port=abc\n', /http_port: "abc"/, 2],
    ['[runner]\n\nhttp_port=7999,70000\n', /"70000"/, 3],
    ['[runner]\nservices=condure,mongrel2\n', /mongrel2.*legacy/, 2],
    ['[runner]\nservices=bogus\n', /"bogus" is not a known service/, 2],
  ];
  for (const [text, re, line] of cases) {
    assert.throws(
      () => parse(text),
      (e: unknown) => e instanceof ConfigError && e.code === 'PP_ERR_CONFIG_INVALID' && e.line === line && e.file === '/etc/pp/pushpin.conf' && re.test(e.message),
      text,
    );
  }
});

test('paths: routesfile and file: keys relative to the config dir, deprecated runner rundir', () => {
  const c = parse('[runner]\nrundir=oldrun\n[proxy]\nroutesfile=routes\nsig_key=file:keys/k.pem\nupstream_key=base64:YWI=\n');
  assert.equal(c.proxy.routesfile, '/etc/pp/routes');
  assert.equal(c.proxy.sigKey, 'file:/etc/pp/keys/k.pem');
  assert.equal(c.proxy.upstreamKey, 'base64:YWI=');
  assert.equal(c.global.rundir, '/work/oldrun');
  assert.ok(c.warnings.some((w) => w.code === 'PP_WARN_CONFIG_DEPRECATED'));
  assert.equal(parse('[global]\nlibdir=/opt/lib\ninclude={libdir}/i.conf\n', {}, { '/opt/lib/i.conf': '' }).libdir, '/opt/lib');
});

test('prometheus_port parses [addr:]port', () => {
  assert.deepEqual(parse('[proxy]\nprometheus_port=127.0.0.1:9000\n').proxy.prometheusPort, { addr: '127.0.0.1', port: 9000 });
  assert.deepEqual(parse('[handler]\nprometheus_port=9001\n').handler.prometheusPort, { addr: '0.0.0.0', port: 9001 });
  const bad = parse('[handler]\nprometheus_port=x\n');
  assert.equal(bad.handler.prometheusPort, undefined);
  assert.ok(bad.warnings.some((w) => w.code === 'PP_WARN_CONFIG_IGNORED' && w.line === 2));
});

test('the result is deeply frozen', () => {
  const c = parse('[runner]\nhttp_port=1\n');
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.runner));
  assert.ok(Object.isFrozen(c.runner.httpPorts));
  assert.ok(Object.isFrozen(c.runner.httpPorts[0]));
  assert.throws(() => {
    (c.runner.httpPorts as unknown as unknown[]).push(1);
  }, TypeError);
});
