import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Header } from '@pushpin-ts/zhttp';
import {
  applyXff, backendHost, backendUri, GRIP_FEATURE, parseXffRule, relayResponseHeaders, rewritePath, rewriteRequestHeaders,
  type RewriteOptions,
} from '../src/index.js';

const base: RewriteOptions = {
  trusted: false, internal: false, noGrip: false, gripSig: 'SIG', xff: { append: false }, peerAddress: '9.9.9.9',
  setXForwardedProtocol: 'proto-only', acceptXForwardedProtocol: false, isTls: false, isWebSocket: false, routeHeaders: [], host: 'h.example',
};
const get = (hs: Header[], n: string) => hs.filter(([k]) => k.toLowerCase() === n.toLowerCase()).map(([, v]) => v);

test('hop-by-hop request headers are removed, others kept in order', () => {
  const { headers } = rewriteRequestHeaders([
    ['Host', 'a'], ['Connection', 'x'], ['Keep-Alive', '5'], ['Accept-Encoding', 'gzip'], ['Content-Encoding', 'br'],
    ['Transfer-Encoding', 'chunked'], ['Expect', '100-continue'], ['X-A', '1'], ['Content-Length', '3'],
  ], base);
  assert.deepEqual(headers, [['Host', 'h.example'], ['X-A', '1'], ['Content-Length', '3'], ['Grip-Sig', 'SIG'], ['Grip-Feature', GRIP_FEATURE]]);
});

const gripCases: Array<{ name: string; o: Partial<RewriteOptions>; sig: string[]; last: string[]; feature: string[] }> = [
  { name: 'untrusted: client Grip-* dropped, ours added', o: {}, sig: ['SIG'], last: [], feature: [GRIP_FEATURE] },
  { name: 'trusted: client Grip-* kept, nothing added', o: { trusted: true }, sig: ['upstream'], last: ['c; last-id=1'], feature: [] },
  { name: 'no_grip: client Grip-* dropped, nothing added', o: { noGrip: true }, sig: [], last: [], feature: [] },
  { name: 'internal: Grip-Last kept, Grip-Sig replaced', o: { internal: true }, sig: ['SIG'], last: ['c; last-id=1'], feature: [GRIP_FEATURE] },
  { name: 'no key: no Grip-Sig, Grip-Feature still set', o: { gripSig: undefined }, sig: [], last: [], feature: [GRIP_FEATURE] },
];
for (const c of gripCases) {
  test(`Grip-* headers: ${c.name}`, () => {
    const o = { ...base, ...c.o };
    if (c.o.gripSig === undefined && 'gripSig' in c.o) delete (o as Partial<RewriteOptions>).gripSig;
    const { headers } = rewriteRequestHeaders([['Grip-Sig', 'upstream'], ['grip-last', 'c; last-id=1']], o);
    assert.deepEqual(get(headers, 'Grip-Sig'), c.sig);
    assert.deepEqual(get(headers, 'Grip-Last'), c.last);
    assert.deepEqual(get(headers, 'Grip-Feature'), c.feature);
  });
}

const xfpCases: Array<{ name: string; o: Partial<RewriteOptions>; inHeaders: Header[]; proto: string[]; protocol: string[] }> = [
  { name: 'plain client: incoming dropped, none added', o: {}, inHeaders: [['X-Forwarded-Proto', 'https']], proto: [], protocol: [] },
  { name: 'TLS client: https', o: { isTls: true }, inHeaders: [], proto: ['https'], protocol: [] },
  { name: 'TLS WebSocket: wss', o: { isTls: true, isWebSocket: true }, inHeaders: [], proto: ['wss'], protocol: [] },
  { name: 'true sets both', o: { isTls: true, setXForwardedProtocol: 'true' }, inHeaders: [['X-Forwarded-Protocol', 'x']], proto: ['https'], protocol: ['https'] },
  { name: 'disabled: passed through', o: { setXForwardedProtocol: '' }, inHeaders: [['X-Forwarded-Proto', 'https']], proto: ['https'], protocol: [] },
  { name: 'accepted incoming kept', o: { acceptXForwardedProtocol: true }, inHeaders: [['X-Forwarded-Proto', 'https']], proto: ['https'], protocol: [] },
];
for (const c of xfpCases) {
  test(`X-Forwarded-Proto: ${c.name}`, () => {
    const { headers } = rewriteRequestHeaders(c.inHeaders, { ...base, ...c.o });
    assert.deepEqual(get(headers, 'X-Forwarded-Proto'), c.proto);
    assert.deepEqual(get(headers, 'X-Forwarded-Protocol'), c.protocol);
  });
}

const xffCases: Array<{ rule: string[]; incoming: string[]; out: string[]; logical: string | undefined }> = [
  { rule: [], incoming: ['1.1.1.1'], out: ['1.1.1.1'], logical: '1.1.1.1' },
  { rule: [], incoming: [], out: [], logical: '9.9.9.9' },
  { rule: ['append'], incoming: [], out: ['9.9.9.9'], logical: '9.9.9.9' },
  { rule: ['append'], incoming: ['1.1.1.1, 2.2.2.2', '3.3.3.3'], out: ['1.1.1.1, 2.2.2.2, 3.3.3.3, 9.9.9.9'], logical: '1.1.1.1' },
  { rule: ['truncate:1'], incoming: ['1.1.1.1, 2.2.2.2'], out: ['2.2.2.2'], logical: '1.1.1.1' },
  { rule: ['truncate:0', 'append'], incoming: ['1.1.1.1'], out: ['9.9.9.9'], logical: '9.9.9.9' },
  { rule: ['truncate:0'], incoming: ['1.1.1.1'], out: [], logical: '9.9.9.9' },
  { rule: ['truncate:5', 'append'], incoming: ['1.1.1.1'], out: ['1.1.1.1, 9.9.9.9'], logical: '1.1.1.1' },
];
for (const c of xffCases) {
  test(`X-Forwarded-For rule [${c.rule.join(',')}] with ${JSON.stringify(c.incoming)}`, () => {
    const r = applyXff(c.incoming.map((v) => ['X-Forwarded-For', v] as Header), parseXffRule(c.rule), '9.9.9.9');
    assert.deepEqual(get(r.headers, 'X-Forwarded-For'), c.out);
    assert.equal(r.logicalPeer, c.logical);
  });
}

test('parseXffRule ignores junk', () => {
  assert.deepEqual(parseXffRule(['append', 'truncate:x', 'bogus']), { append: true });
  assert.deepEqual(parseXffRule([' truncate:2 ']), { append: false, truncate: 2 });
});

test('route headers: set, replace and delete; Host set last', () => {
  const { headers } = rewriteRequestHeaders([['X-Old', 'a'], ['Host', 'client'], ['X-Gone', 'b']], {
    ...base, noGrip: true, routeHeaders: [['X-Old', 'new'], ['X-Gone', ''], ['X-Added', 'v']],
  });
  assert.deepEqual(headers, [['X-Old', 'new'], ['Host', 'h.example'], ['X-Added', 'v']]);
});

const pathCases: Array<[string, { pathRem: number; replaceBeg?: string }, string]> = [
  ['/rewrite/a', { pathRem: 9, replaceBeg: '/rewritten/' }, '/rewritten/a'],
  ['/api/x', { pathRem: 4 }, '/x'],
  ['/api', { pathRem: 4 }, '/'],
  ['/plain', { pathRem: 0 }, '/plain'],
];
for (const [inp, route, out] of pathCases) {
  test(`rewritePath ${inp} ${JSON.stringify(route)}`, () => assert.equal(rewritePath(inp, route), out));
}

test('backend host and uri', () => {
  assert.equal(backendHost('c.example:80', {}, {}), 'c.example:80');
  assert.equal(backendHost('c.example', { asHost: 'as.example' }, {}), 'as.example');
  assert.equal(backendHost('c.example', { asHost: 'as.example' }, { hostHeader: 'b.example' }), 'b.example');
  assert.equal(backendUri({ ssl: true, isWebSocket: false, host: 'b', path: '/p', query: '?q=1' }), 'https://b/p?q=1');
  assert.equal(backendUri({ ssl: false, isWebSocket: true, host: 'b', path: 'p', query: '' }), 'ws://b/p');
});

test('relayed response headers drop hop-by-hop but keep Content-Length', () => {
  assert.deepEqual(relayResponseHeaders([['Connection', 'close'], ['Content-Length', '3'], ['Transfer-Encoding', 'chunked'], ['Keep-Alive', 'x'], ['Content-Encoding', 'gzip'], ['X', 'y']]),
    [['Content-Length', '3'], ['X', 'y']]);
});
