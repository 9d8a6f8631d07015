import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRoutes, RouteTable } from '@pushpin-ts/config';
import { parseClientRequest, selectRoute, withCors } from '../src/index.js';

const table = new RouteTable(parseRoutes('*,path_beg=/a/ 1.1.1.1:1\n* 2.2.2.2:2\nid=hidden 3.3.3.3:3\nws.example,proto=ws 4.4.4.4:4\nws.example 5.5.5.5:5\n').routes);
const req = (uri: string, headers: Array<[string, string]> = []) => parseClientRequest({ id: '1', method: 'GET', uri, headers }, false);
const pick = (r: ReturnType<typeof req>, accept = false) => {
  const route = selectRoute({ routes: () => table, settings: { acceptPushpinRoute: accept } }, r);
  const t = route?.targets[0];
  return t?.type === 'http' ? t.host : undefined;
};

test('routing by host, path and protocol', () => {
  assert.equal(pick(req('http://x/a/b')), '1.1.1.1');
  assert.equal(pick(req('http://x/b')), '2.2.2.2');
  assert.equal(pick(req('ws://ws.example/')), '4.4.4.4');
  assert.equal(pick(req('http://ws.example:80/')), '5.5.5.5');
});

test('Pushpin-Route selects by id only when accept_pushpin_route is on, and is removed', () => {
  const r = req('http://x/b', [['Pushpin-Route', 'hidden']]);
  assert.equal(pick(r, false), '2.2.2.2');
  assert.equal(pick(r, true), '3.3.3.3');
  assert.deepEqual(r.headers, []);
  assert.equal(pick(req('http://x/b', [['Pushpin-Route', 'nope']]), true), undefined);
});

test('an internal request goes through the route its handler named (passthrough.route), else by URI', () => {
  const named = req('http://x/b');
  named.routeId = 'hidden';
  assert.equal(pick(named), '3.3.3.3');
  const unknown = req('http://x/a/b');
  unknown.routeId = 'no-such-route';
  assert.equal(pick(unknown), '1.1.1.1');
});

test('auto cross-origin headers are added unless the backend set them', () => {
  const out = withCors([['Content-Type', 'text/plain'], ['X-Mine', '1'], ['Grip-Hold', 'x'], ['Access-Control-Max-Age', '10']],
    [['Origin', 'https://o.example'], ['Access-Control-Request-Headers', 'X-A'], ['Access-Control-Request-Headers', 'X-B']]);
  const get = (n: string) => out.filter(([k]) => k === n).map(([, v]) => v);
  assert.deepEqual(get('Access-Control-Allow-Methods'), ['OPTIONS, HEAD, GET, POST, PUT, DELETE']);
  assert.deepEqual(get('Access-Control-Allow-Headers'), ['X-A, X-B']);
  assert.deepEqual(get('Access-Control-Expose-Headers'), ['X-Mine']);
  assert.deepEqual(get('Access-Control-Allow-Credentials'), ['true']);
  assert.deepEqual(get('Access-Control-Allow-Origin'), ['https://o.example']);
  assert.deepEqual(get('Access-Control-Max-Age'), ['10']);
  const plain = withCors([['Content-Type', 'text/plain']], [['Access-Control-Request-Method', 'PUT']]);
  assert.deepEqual(plain.filter(([k]) => k.startsWith('Access-Control-Allow-')).map(([k, v]) => `${k}: ${v}`),
    ['Access-Control-Allow-Methods: PUT', 'Access-Control-Allow-Credentials: true', 'Access-Control-Allow-Origin: *']);
});
