import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isGripResponse, parseInstruct } from '../src/index.js';
import { resp, throwsCoded } from './helpers.js';

test('isGripResponse detects grip-instruct content type or any Grip-* header', () => {
  const cases: Array<[Array<[string, string]>, boolean]> = [
    [[['Content-Type', 'application/grip-instruct']], true],
    [[['content-type', 'application/grip-instruct; charset=utf-8']], true],
    [[['Content-Type', 'application/grip-instruct-x']], false],
    [[['grip-hold', 'stream']], true],
    [[['GRIP-whatever', '']], true],
    [[['X-Grip-Hold', 'stream'], ['Content-Type', 'text/plain']], false],
    [[], false],
  ];
  for (const [h, expected] of cases) assert.equal(isGripResponse(h), expected, JSON.stringify(h));
});

test('parses a full header instruction', () => {
  const i = parseInstruct(resp([
    ['Content-Type', 'text/plain'],
    ['Grip-Hold', 'stream'],
    ['Grip-Channel', 'apple; prev-id=item1; filter=f1'],
    ['Grip-Channel', 'banana, cherry; filter=f1; filter=f2'],
    ['Grip-Keep-Alive', 'ping\\n; format=cstring; timeout=2'],
    ['Grip-Set-Meta', 'user="alice", id_format="%(test)s"'],
    ['Grip-Link', '</next?x=1>; rel=next; timeout=30'],
    ['X-Custom', 'yes'],
    ['Connection', 'keep-alive'],
    ['Content-Length', '7'],
    ['Transfer-Encoding', 'chunked'],
  ], '[open]\n'));
  assert.equal(i.hold, 'stream');
  assert.deepEqual(i.channels, [
    { name: 'apple', prevId: 'item1', filters: ['f1'] },
    { name: 'banana', filters: [] },
    { name: 'cherry', filters: ['f1', 'f2'] },
  ]);
  assert.deepEqual(i.keepAlive, { data: Buffer.from('ping\n'), timeout: 2, mode: 'idle' });
  assert.deepEqual(i.meta, { user: 'alice', id_format: '%(test)s' });
  assert.deepEqual(i.nextLink, { uri: '/next?x=1', timeout: 30 });
  assert.equal(i.timeout, 55);
  assert.deepEqual(i.response, {
    code: 200, reason: 'OK', headers: [['Content-Type', 'text/plain'], ['X-Custom', 'yes']], body: Buffer.from('[open]\n'),
  });
});

test('header defaults and limits', () => {
  const cases: Array<[Array<[string, string]>, (i: ReturnType<typeof parseInstruct>) => void]> = [
    [[], (i) => { assert.equal(i.hold, 'none'); assert.deepEqual(i.channels, []); assert.equal(i.timeout, 55); }],
    [[['Grip-Hold', 'response'], ['Grip-Timeout', '1']], (i) => assert.equal(i.timeout, 5)],
    [[['Grip-Timeout', ' 120 ']], (i) => assert.equal(i.timeout, 120)],
    [[['Grip-Keep-Alive', 'x; timeout=0; mode=interval']], (i) => assert.deepEqual(i.keepAlive, { data: Buffer.from('x'), timeout: 1, mode: 'interval' })],
    [[['Grip-Keep-Alive', 'x']], (i) => assert.deepEqual(i.keepAlive, { data: Buffer.from('x'), timeout: 55, mode: 'idle' })],
    [[['Grip-Keep-Alive', 'OgoK; format=base64']], (i) => assert.deepEqual(i.keepAlive?.data, Buffer.from(':\n\n'))],
    [[['Grip-Keep-Alive', 'a\\x41\\\\\\r\\q; format=cstring']], (i) => assert.deepEqual(i.keepAlive?.data, Buffer.from('aA\\\r'))],
    [[['Grip-Keep-Alive', 'x; format="open']], (i) => assert.equal(i.keepAlive, undefined)],
    [[['Grip-Channel', 'a; prev-id=']], (i) => assert.deepEqual(i.channels, [{ name: 'a', filters: [] }])],
    [[['Grip-Channel', 'a; x="open, b']], (i) => assert.deepEqual(i.channels, [])],
    [[['Grip-Channel', 'a; filter=1; filter=2; filter=3; filter=4; filter=5']], (i) => assert.equal(i.channels[0]?.filters.length, 5)],
    [[['Grip-Set-Meta', 'a=1'], ['Grip-Set-Meta', 'a=2']], (i) => assert.deepEqual(i.meta, { a: '2' })],
    [[['Grip-Status', '404 Nope']], (i) => {
      assert.deepEqual(i.status, { code: 404, reason: 'Nope' });
      assert.equal(i.response.code, 404);
      assert.equal(i.response.reason, 'Nope');
    }],
    [[['Grip-Status', '202']], (i) => assert.deepEqual([i.response.code, i.response.reason], [202, 'Accepted'])],
    [[['Grip-Link', '</a>; rel=gone'], ['Grip-Link', '</b>']], (i) => { assert.equal(i.goneLink, '/a'); assert.equal(i.nextLink, undefined); }],
  ];
  for (const [headers, check] of cases) check(parseInstruct(resp(headers)));
});

test('backend status is kept when no Grip-Status (a 500 stream hold is still a hold)', () => {
  const i = parseInstruct(resp([['Grip-Hold', 'stream']], '', 500, ''));
  assert.deepEqual([i.hold, i.response.code, i.response.reason], ['stream', 500, 'Internal Server Error']);
});

test('Grip-Expose-Headers keeps only the listed headers', () => {
  const i = parseInstruct(resp([
    ['Grip-Hold', 'response'], ['Grip-Channel', 'a'], ['Grip-Expose-Headers', 'content-type'],
    ['Content-Type', 'text/plain'], ['X-Hidden', '1'],
  ]));
  assert.deepEqual(i.response.headers, [['Content-Type', 'text/plain']]);
  assert.deepEqual(i.exposeHeaders, ['content-type']);
});

test('every header instruction error has Pushpin\'s message', () => {
  const cases: Array<[Array<[string, string]>, string]> = [
    [[['Grip-Hold', 'bogus']], "Grip-Hold must be set to either 'response' or 'stream'"],
    [[['Grip-Hold', '']], "Grip-Hold must be set to either 'response' or 'stream'"],
    [[['Grip-Channel', 'a,,b']], 'failed to parse Grip-Channel'],
    [[['Grip-Channel', 'a; filter=1; filter=2; filter=3; filter=4; filter=5; filter=6']], "too many filters for channel 'a'"],
    [[['Grip-Timeout', 'abc']], 'failed to parse Grip-Timeout'],
    [[['Grip-Timeout', '1.5']], 'failed to parse Grip-Timeout'],
    [[['Grip-Timeout', '-1']], 'Grip-Timeout has invalid value'],
    [[['Grip-Keep-Alive', '; format=raw']], 'Grip-Keep-Alive cannot be empty'],
    [[['Grip-Keep-Alive', 'x; mode=sometimes']], "no such Grip-Keep-Alive mode 'sometimes'"],
    [[['Grip-Keep-Alive', 'x; timeout=soon']], 'failed to parse Grip-Keep-Alive timeout value'],
    [[['Grip-Keep-Alive', 'x; timeout=-3']], 'Grip-Keep-Alive timeout has invalid value'],
    [[['Grip-Keep-Alive', 'x\\; format=cstring']], 'failed to parse Grip-Keep-Alive cstring format'],
    [[['Grip-Keep-Alive', 'x\\xZZ; format=cstring']], 'failed to parse Grip-Keep-Alive cstring format'],
    [[['Grip-Keep-Alive', 'x; format=hex']], "no such Grip-Keep-Alive format 'hex'"],
    [[['Grip-Set-Meta', 'a=1,,b=2']], 'Grip-Set-Meta cannot be empty'],
    [[['Grip-Status', 'abc']], 'Grip-Status contains invalid status code'],
    [[['Grip-Status', '1000 Big']], 'Grip-Status contains invalid status code'],
    [[['Grip-Link', '<>; rel=next']], 'failed to parse Grip-Link value'],
    [[['Grip-Link', '/next; rel=next']], 'failed to parse Grip-Link value'],
    [[['Grip-Link', '<http://[bad/>; rel=next']], 'Grip-Link contains invalid link'],
    [[['Grip-Link', '</n>; rel=next; timeout=x']], 'failed to parse Grip-Link timeout value'],
    [[['Grip-Link', '</n>; rel=next; timeout=-1']], 'Grip-Link timeout has invalid value'],
    [[['Content-Type', 'application/grip-instruct']], 'failed to parse application/grip-instruct content as JSON'],
  ];
  for (const [headers, message] of cases) {
    throwsCoded(() => parseInstruct(resp(headers)), 'PP_ERR_GRIP_INSTRUCT', message);
  }
  throwsCoded(
    () => parseInstruct(resp([['Content-Type', 'application/grip-instruct']], '{}', 201, 'Created')),
    'PP_ERR_GRIP_INSTRUCT', 'response code for application/grip-instruct content must be 200',
  );
});
