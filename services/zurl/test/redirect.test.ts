import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Packet } from '@pushpin-ts/zhttp';
import { isRedirect, nextRedirect, toRequestTarget } from '../src/index.js';

const target = (o: Partial<Packet> = {}) => toRequestTarget({
  id: '1', method: 'POST', uri: 'http://api.example/a/b?x=1', connectHost: '127.0.0.1', connectPort: 8080,
  headers: [['Host', 'api.example'], ['Content-Type', 'text/plain'], ['Authorization', 'secret'], ['Cookie', 'c=1'], ['X-Keep', 'k']], ...o,
});

test('isRedirect needs a redirect code and a Location', () => {
  assert.equal(isRedirect(302, '/x'), true);
  assert.equal(isRedirect(302, undefined), false);
  assert.equal(isRedirect(304, '/x'), false);
  assert.equal(isRedirect(200, '/x'), false);
});

const CASES: Array<[number, string, string, boolean]> = [
  // code, method in, method out, body kept
  [301, 'POST', 'GET', false],
  [302, 'POST', 'GET', false],
  [303, 'PUT', 'GET', false],
  [303, 'HEAD', 'HEAD', false],
  [307, 'POST', 'POST', true],
  [308, 'PUT', 'PUT', true],
  [302, 'GET', 'GET', false],
];
for (const [code, min, mout, kept] of CASES) {
  test(`redirect ${code} after ${min} -> ${mout}`, () => {
    const body = min === 'GET' || min === 'HEAD' ? null : Buffer.from('data');
    const n = nextRedirect(target({ method: min }), body, code, '../c?y=2')!;
    assert.equal(n.target.method, mout);
    assert.equal(n.body !== null, kept);
    assert.equal(n.target.path, '/c?y=2');
    assert.equal(n.target.headers.some(([h]) => h === 'Content-Type'), kept || body === null);
  });
}

test('same-origin redirect keeps connect-host/port and Host', () => {
  const n = nextRedirect(target(), null, 302, '/z')!;
  assert.deepEqual([n.target.connectHost, n.target.connectPort], ['127.0.0.1', 8080]);
  assert.ok(n.target.headers.some(([h]) => h === 'Host'));
  assert.ok(n.target.headers.some(([h]) => h === 'Authorization'));
});

test('cross-origin redirect dials the Location host and drops Host/credentials', () => {
  const n = nextRedirect(target(), null, 302, 'https://other.example:8443/p')!;
  assert.deepEqual([n.target.connectHost, n.target.connectPort, n.target.tls, n.target.origin], ['other.example', 8443, true, 'https://other.example:8443']);
  assert.deepEqual(n.target.headers.map(([h]) => h), ['X-Keep']);
});

test('unusable Location is not followed', () => {
  assert.equal(nextRedirect(target(), null, 302, 'ftp://x/'), undefined);
  assert.equal(nextRedirect(target(), null, 302, 'http://[bad'), undefined);
});
