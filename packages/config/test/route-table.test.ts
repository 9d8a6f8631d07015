import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostDomain, parseRoutes, RouteTable } from '../src/index.js';
import type { Route } from '../src/index.js';

function table(...lines: string[]): RouteTable {
  const { routes, errors } = parseRoutes(lines.join('\n'));
  assert.deepEqual(errors.filter((e) => e.code !== 'PP_WARN_ROUTES_DUPLICATE_ID'), []);
  return new RouteTable(routes);
}

interface Req { host?: string; path?: string; ws?: boolean; tls?: boolean }
const pick = (t: RouteTable, q: Req): number | undefined =>
  t.match({ host: q.host ?? 'x.example', path: q.path ?? '/', isWebSocket: q.ws ?? false, isTls: q.tls ?? false })?.line;

test('exact domain list, else the wildcard list (no fallback)', () => {
  const t = table('* a:1', 'alt.example b:1', 'alt.example,path_beg=/only c:1');
  const cases: Array<[Req, number | undefined]> = [
    [{ host: 'alt.example' }, 2],
    [{ host: 'alt.example:7999' }, 2],
    [{ host: 'ALT.Example' }, 2],
    [{ host: 'alt.example', path: '/only/x' }, 3],
    [{ host: 'other.example' }, 1],
    [{ host: '' }, 1],
  ];
  for (const [q, want] of cases) assert.equal(pick(t, q), want, JSON.stringify(q));

  const noFallback = table('* a:1', 'alt.example,path_beg=/x b:1');
  assert.equal(pick(noFallback, { host: 'alt.example', path: '/y' }), undefined);
  assert.equal(pick(table('alt.example a:1'), { host: 'other.example' }), undefined);
});

test('most specific rule: proto beats none, then longer path_beg, then ssl', () => {
  const t = table(
    '* l1:1',
    '*,path_beg=/a l2:1',
    '*,path_beg=/a/b l3:1',
    '*,proto=ws l4:1',
    '*,ssl=yes l5:1',
    '*,path_beg=/a,ssl=no l6:1',
  );
  const cases: Array<[Req, number]> = [
    [{ path: '/' }, 1],
    [{ path: '/a' }, 6],
    [{ path: '/a/b/c', ws: true }, 4],
    [{ path: '/zzz', tls: true }, 5],
    [{ path: '/a/b/c', ws: true, tls: true }, 4],
    // Pushpin's comparator: a later rule with ssl set beats a best rule without it,
    // even when that one has the longer path_beg
    [{ path: '/a/b/c' }, 6],
    [{ path: '/a/b', tls: true }, 5],
  ];
  for (const [q, want] of cases) assert.equal(pick(t, q), want, JSON.stringify(q));
});

test("Pushpin's comparator is order-sensitive and kept as is", () => {
  // ssl rule first, longer path second: the longer path wins
  assert.equal(pick(table('*,ssl=no,path_beg=/a a:1', '*,path_beg=/ab b:1'), { path: '/abc' }), 2);
  // longer path first, ssl rule second: the ssl rule wins (ssl set beats unset)
  assert.equal(pick(table('*,path_beg=/ab b:1', '*,ssl=no,path_beg=/a a:1'), { path: '/abc' }), 2);
  // proto wins even against a longer path
  assert.equal(pick(table('*,path_beg=/long/path a:1', '*,proto=http b:1'), { path: '/long/path' }), 2);
  assert.equal(pick(table('*,proto=http b:1', '*,path_beg=/long/path a:1'), { path: '/long/path' }), 1);
});

test('byId: explicit and derived ids; duplicates unusable; id-only rules never match by host', () => {
  const t = table('* a:1', '*,id=api,path_beg=/api b:1', 'id=hidden c:1', '*,id=dup,path_beg=/1 d:1', '*,id=dup,path_beg=/2 e:1');
  assert.equal(t.byId('api')?.line, 2);
  assert.equal(t.byId('*,*,*,*')?.line, 1);
  assert.equal(t.byId('hidden')?.line, 3);
  assert.equal(t.byId('dup'), undefined);
  assert.equal(t.byId('nope'), undefined);
  assert.equal(pick(t, { path: '/x' }), 1);
});

test('RouteTable skips duplicates given to it directly and reports them', () => {
  const a = parseRoutes('* a:1').routes;
  const b = parseRoutes('* b:1', { firstLine: 7 }).routes;
  const t = new RouteTable([...a, ...b] as Route[]);
  assert.equal(t.routes.length, 1);
  assert.equal(t.errors[0]?.code, 'PP_ERR_ROUTES_DUPLICATE');
  assert.equal(t.errors[0]?.line, 7);
});

test('hostDomain strips the port and brackets and lower-cases', () => {
  const cases: Array<[string, string]> = [
    ['example.com', 'example.com'],
    ['Example.COM:8080', 'example.com'],
    ['[::1]:7999', '::1'],
    ['[::1]', '::1'],
    ['host:', 'host'],
  ];
  for (const [h, want] of cases) assert.equal(hostDomain(h), want, h);
});
