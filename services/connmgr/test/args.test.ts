import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseListenArg, ConnmgrArgsError } from '../src/index.js';

const BASE = ['--listen=0.0.0.0:7999,stream', '--zclient-stream=ipc:///run/pushpin-condure'];

test('condure command line as the runner passes it', () => {
  const a = parseArgs(['--log-level=3', '--listen=0.0.0.0:37999,stream', '--zclient-stream=ipc:///r/pushpin-condure', '--buffer-size=8192', '--stream-maxconn=50000']);
  assert.deepEqual(a.listens, [{ kind: 'tcp', addr: '0.0.0.0', port: 37999, tls: false }]);
  assert.deepEqual(a.pushSpecs, ['ipc:///r/pushpin-condure-out']);
  assert.deepEqual(a.routerSpecs, ['ipc:///r/pushpin-condure-out-stream']);
  assert.deepEqual(a.subSpecs, ['ipc:///r/pushpin-condure-in']);
  assert.equal(a.connect, false);
  assert.equal(a.bufferSize, 8192);
  assert.equal(a.maxConn, 50000);
  assert.equal(a.id, 'condure');
  assert.equal(a.logLevel, 3);
});

test('defaults, "--x y" form, tcp base expansion, --zclient-connect', () => {
  const a = parseArgs(['--listen', '[::1]:80,stream', '--zclient-stream', 'tcp://127.0.0.1:5000', '--id', 'cm1', '--zclient-connect']);
  assert.deepEqual(a.listens, [{ kind: 'tcp', addr: '::1', port: 80, tls: false }]);
  assert.deepEqual([a.pushSpecs, a.routerSpecs, a.subSpecs], [['tcp://127.0.0.1:5000'], ['tcp://127.0.0.1:5001'], ['tcp://127.0.0.1:5002']]);
  assert.equal(a.connect, true);
  assert.equal(a.id, 'cm1');
  assert.equal(a.bufferSize, 8192);
  assert.equal(a.maxConn, 50000);
});

const listens: Array<[string, unknown]> = [
  ['127.0.0.1:8000,stream', { kind: 'tcp', addr: '127.0.0.1', port: 8000, tls: false }],
  ['0.0.0.0:443,stream,tls,default-cert=default_443', { kind: 'tcp', addr: '0.0.0.0', port: 443, tls: true, defaultCert: 'default_443' }],
  ['/run/pushpin/server.sock,local,stream', { kind: 'local', path: '/run/pushpin/server.sock' }],
  ['/run/s.sock,local,stream,mode=660,user=x', { kind: 'local', path: '/run/s.sock', mode: 0o660 }],
];
for (const [text, want] of listens) {
  test(`--listen=${text}`, () => assert.deepEqual(parseListenArg(text), want));
}

const bad: Array<[string, string[]]> = [
  ['unknown option', [...BASE, '--frobnicate=1']],
  ['missing value', [...BASE, '--buffer-size']],
  ['bad number', [...BASE, '--buffer-size=lots']],
  ['too small buffer', [...BASE, '--buffer-size=10']],
  ['no listen', ['--zclient-stream=ipc:///x']],
  ['no zclient-stream', ['--listen=1.2.3.4:5,stream']],
  ['req listener', ['--listen=1.2.3.4:5,req', '--zclient-stream=ipc:///x']],
  ['bad address', ['--listen=nope,stream', '--zclient-stream=ipc:///x']],
  ['bad endpoint', ['--listen=1.2.3.4:5,stream', '--zclient-stream=/tmp/x']],
  ['id with space', [...BASE, '--id=a b']],
  ['positional', [...BASE, 'extra']],
];
for (const [name, argv] of bad) {
  test(`rejects: ${name}`, () => {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ConnmgrArgsError && e.code === 'PP_ERR_CONNMGR_ARGS');
  });
}

test('compatibility options are accepted and reported as ignored', () => {
  const a = parseArgs([...BASE, '--compression', '--deny-out-internal', '--zserver-stream=ipc:///x']);
  assert.deepEqual(a.ignored, ['--compression', '--deny-out-internal', '--zserver-stream=ipc:///x']);
});

test('--reuse-port: off by default, a flag without value', () => {
  assert.equal(parseArgs(BASE).reusePort, false);
  assert.equal(parseArgs([...BASE, '--reuse-port']).reusePort, true);
  assert.throws(() => parseArgs([...BASE, '--reuse-port=1']), (e: unknown) => e instanceof ConnmgrArgsError && /takes no value/.test(e.message));
});
