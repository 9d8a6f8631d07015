import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, parseClientRequest, ProxyArgsError, ProxyRequestError } from '../src/index.js';

test('command line: both value forms, repeatable flags, verbose', () => {
  const a = parseArgs(['--config=/c.conf', '--ipc-prefix', 'x-', '--route', '* test', '--route=a.example 1.2.3.4:80', '--verbose',
    '--logfile=/l', '--quiet-check', '--libdir', '/lib', '--set', 'proxy.debug=true', '--weird']);
  assert.equal(a.config, '/c.conf');
  assert.equal(a.ipcPrefix, 'x-');
  assert.deepEqual(a.routes, ['* test', 'a.example 1.2.3.4:80']);
  assert.equal(a.logLevel, 3);
  assert.equal(a.logFile, '/l');
  assert.equal(a.libdir, '/lib');
  assert.deepEqual(a.set, [['proxy.debug', 'true']]);
  assert.deepEqual(a.unknown, ['--weird']);
  assert.equal(parseArgs(['--config', 'c', '--loglevel=0']).logLevel, 0);
});

test('command line errors are coded', () => {
  for (const argv of [[], ['--loglevel=x', '--config=c'], ['--config'], ['--config=c', '--set', 'novalue']]) {
    assert.throws(() => parseArgs(argv), (e: unknown) => e instanceof ProxyArgsError && e.code === 'PP_ERR_PROXY_ARGS');
  }
});

test('client request parsing: host, path, query, TLS and WebSocket', () => {
  const r = parseClientRequest({ id: '1', method: 'GET', uri: 'https://a.example:8443/p/q?x=%20', headers: [['Host', 'h.example:1']], peerAddress: '1.2.3.4' }, false);
  assert.deepEqual([r.host, r.path, r.query, r.isTls, r.isWebSocket, r.peerAddress], ['h.example:1', '/p/q', '?x=%20', true, false, '1.2.3.4']);
  const w = parseClientRequest({ id: '1', uri: 'ws://a.example', headers: [] }, false);
  assert.deepEqual([w.host, w.path, w.isWebSocket, w.isTls], ['a.example', '/', true, false]);
  const x = parseClientRequest({ id: '1', uri: 'http://a/', headers: [['X-Forwarded-Proto', 'https']] }, true);
  assert.equal(x.isTls, true);
  assert.equal(parseClientRequest({ id: '1', uri: 'http://a/', headers: [['X-Forwarded-Proto', 'https']] }, false).isTls, false);
  for (const uri of ['/relative', 'ftp://a/', '']) {
    assert.throws(() => parseClientRequest({ id: '1', uri, headers: [] }, false), (e: unknown) => e instanceof ProxyRequestError);
  }
});
