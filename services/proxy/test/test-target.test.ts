import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testChannels, testPath, testTargetResponse } from '../src/index.js';

const hv = (hs: Array<[string, string]>, n: string) => hs.find(([k]) => k === n)?.[1];

const cases: Array<{ path: string; query?: string; pathBeg?: string; bodyLength?: number; code: number; body: string; hold?: string; channel?: string }> = [
  { path: '/', code: 200, body: 'Hello from the Pushpin test handler!\n' },
  { path: '/response', code: 200, body: 'nothing for now\n', hold: 'response', channel: 'test' },
  { path: '/stream/', code: 200, body: '[stream opened]\n', hold: 'stream', channel: 'test' },
  { path: '/stream', query: '?channel=a&channel=b&channel=a', code: 200, body: '[stream opened]\n', hold: 'stream', channel: 'a, b' },
  { path: '/test/stream', pathBeg: '/test/', code: 200, body: '[stream opened]\n', hold: 'stream', channel: 'test' },
  { path: '/test/stream', pathBeg: '/test', code: 200, body: '[stream opened]\n', hold: 'stream', channel: 'test' },
  { path: '/foo', code: 404, body: 'no such test resource\n' },
  { path: '/', bodyLength: 100_001, code: 400, body: 'request too large\n' },
  { path: '/', bodyLength: 100_000, code: 200, body: 'Hello from the Pushpin test handler!\n' },
];
for (const c of cases) {
  test(`test target ${c.path}${c.query ?? ''} (path_beg ${c.pathBeg ?? '-'}, body ${c.bodyLength ?? 0})`, () => {
    const r = testTargetResponse({ path: c.path, query: c.query ?? '', bodyLength: c.bodyLength ?? 0 }, c.pathBeg);
    assert.equal(r.code, c.code);
    assert.equal(r.body.toString(), c.body);
    assert.equal(hv(r.headers, 'Content-Type'), 'text/plain');
    assert.equal(hv(r.headers, 'Grip-Hold'), c.hold);
    assert.equal(hv(r.headers, 'Grip-Channel'), c.channel);
  });
}

test('channel parsing decodes and defaults', () => {
  assert.deepEqual(testChannels(''), ['test']);
  assert.deepEqual(testChannels('?x=1&channel=a%20b&channel='), ['a b']);
  assert.equal(testPath('/', undefined), '/');
  assert.equal(testPath('/a/', undefined), '/a');
});
