import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionFor, isHostAllowed, matchHostPattern, ZurlBadRequestError, ZurlConnectTimeoutError, ZurlMaxSizeError, ZurlSessionTimeoutError } from '../src/index.js';

const MATCH: Array<[string, string, boolean]> = [
  ['127.*', '127.0.0.1', true],
  ['127.*', '10.0.0.1', false],
  ['*.local', 'Printer.LOCAL', true],
  ['*.local', 'local', false],
  ['example.com', 'example.com', true],
  ['example.com', 'www.example.com', false],
];
for (const [p, h, want] of MATCH) test(`matchHostPattern(${p}, ${h}) = ${want}`, () => assert.equal(matchHostPattern(p, h), want));

test('isHostAllowed: defpolicy allow/deny', () => {
  const allowPol = { defPolicy: 'allow' as const, allow: ['127.0.0.2'], deny: ['127.*'] };
  assert.equal(isHostAllowed(allowPol, '127.0.0.1'), false);
  assert.equal(isHostAllowed(allowPol, '127.0.0.2'), true);
  assert.equal(isHostAllowed(allowPol, 'example.com'), true);
  const denyPol = { defPolicy: 'deny' as const, allow: ['*.example.com'], deny: ['bad.example.com'] };
  assert.equal(isHostAllowed(denyPol, 'a.example.com'), true);
  assert.equal(isHostAllowed(denyPol, 'bad.example.com'), false);
  assert.equal(isHostAllowed(denyPol, 'other.org'), false);
});

const err = (code: string, extra: object = {}): Error => Object.assign(new Error(code), { code }, extra);
const CONDITIONS: Array<[string, unknown, 'connect' | 'response', string]> = [
  ['refused', err('ECONNREFUSED'), 'connect', 'remote-connection-failed'],
  ['dns', err('ENOTFOUND'), 'connect', 'remote-connection-failed'],
  ['refused in AggregateError', Object.assign(new AggregateError([err('ECONNREFUSED')]), {}), 'connect', 'remote-connection-failed'],
  ['socket closed mid-body', err('UND_ERR_SOCKET'), 'response', 'undefined-condition'],
  ['connect timeout', err('UND_ERR_CONNECT_TIMEOUT'), 'connect', 'connection-timeout'],
  ['self-signed', err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'connect', 'tls-error'],
  ['altname', err('ERR_TLS_CERT_ALTNAME_INVALID'), 'connect', 'tls-error'],
  ['wrapped tls', Object.assign(new Error('x'), { cause: err('ERR_SSL_WRONG_VERSION_NUMBER') }), 'connect', 'tls-error'],
  ['invalid arg', err('UND_ERR_INVALID_ARG'), 'connect', 'bad-request'],
  ['bad request', new ZurlBadRequestError(), 'connect', 'bad-request'],
  ['max size', new ZurlMaxSizeError(), 'response', 'max-size-exceeded'],
  ['session timeout', new ZurlSessionTimeoutError(), 'response', 'session-timeout'],
  ['request timeout', new ZurlConnectTimeoutError(), 'connect', 'connection-timeout'],
  ['unknown', new Error('boom'), 'connect', 'undefined-condition'],
  ['not an error', 'str', 'connect', 'undefined-condition'],
];
for (const [name, e, stage, want] of CONDITIONS) test(`conditionFor ${name} -> ${want}`, () => assert.equal(conditionFor(e, stage), want));
