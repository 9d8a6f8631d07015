import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePublishBody, parsePublishItem } from '../src/index.js';
import { throwsCoded } from './helpers.js';

const body = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));
const item = (formats: unknown, extra: Record<string, unknown> = {}) => ({ items: [{ channel: 'test', formats, ...extra }] });

test('spec examples parse', () => {
  let items = parsePublishBody(body('{"items":[{"channel":"test","formats":{"http-stream":{"content":"hello\\n"}}}]}'));
  assert.deepEqual(items, [{ channel: 'test', meta: {}, noSeq: false, formats: { httpStream: { action: 'send', content: Buffer.from('hello\n') } } }]);

  items = parsePublishBody(body({ items: [{ channel: 'test', id: '2', 'prev-id': '1', formats: { 'http-response': { code: 201, headers: { 'X-Pub': '1', 'Content-Type': 'application/json' }, body: '{"a":1}\n' } } }] }));
  assert.deepEqual(items[0], {
    channel: 'test', id: '2', prevId: '1', meta: {}, noSeq: false,
    formats: { httpResponse: { action: 'send', code: 201, reason: 'Created', headers: [['Content-Type', 'application/json'], ['X-Pub', '1']], body: Buffer.from('{"a":1}\n') } },
  });

  items = parsePublishBody(body(item({ 'http-stream': { action: 'close' }, 'ws-message': { action: 'close', code: 4000, reason: 'bye' } })));
  assert.deepEqual(items[0]?.formats, {
    httpStream: { action: 'close', content: Buffer.alloc(0) },
    wsMessage: { action: 'close', type: 'text', content: Buffer.alloc(0), code: 4000, reason: 'bye' },
  });

  items = parsePublishBody(body(item({ 'ws-message': { 'content-bin': 'AAEC' } })));
  assert.deepEqual(items[0]?.formats.wsMessage, { action: 'send', type: 'binary', content: Buffer.from([0, 1, 2]) });

  assert.deepEqual(parsePublishBody(body('{"items":[]}')), []);
});

test('item fields: meta, no-seq, size, bin fields, body-patch, content-filters, legacy formats', () => {
  const [i] = parsePublishBody(body({ items: [{
    channel: 'c', meta: { sender: 'alice' }, 'no-seq': true, size: 12,
    formats: {
      'http-response': { 'body-bin': 'aGk=', body: 'ignored', 'content-filters': ['build-id'] },
      'http-stream': { 'content-bin': 'aGk=', content: 'ignored' },
      'ws-message': { type: 'ping' },
    },
  }] }));
  assert.deepEqual(i, {
    channel: 'c', meta: { sender: 'alice' }, noSeq: true, size: 12,
    formats: {
      httpResponse: { action: 'send', code: 200, reason: 'OK', headers: [], body: Buffer.from('hi'), contentFilters: ['build-id'] },
      httpStream: { action: 'send', content: Buffer.from('hi') },
      wsMessage: { action: 'send', type: 'ping', content: Buffer.alloc(0) },
    },
  });
  const [p] = parsePublishBody(body(item({ 'http-response': { 'body-patch': [{ op: 'add', path: '/a', value: 1 }] } })));
  assert.deepEqual(p?.formats.httpResponse?.bodyPatch, [{ op: 'add', path: '/a', value: 1 }]);
  assert.equal(p?.formats.httpResponse?.body, undefined);

  const [legacy] = parsePublishBody(body({ items: [{ channel: 'a', 'http-stream': { content: 'x' } }] }));
  assert.deepEqual(legacy?.formats, { httpStream: { action: 'send', content: Buffer.from('x') } });

  const [hint] = parsePublishBody(body(item({ 'http-response': { action: 'hint' }, 'http-stream': { action: 'hint' } })));
  assert.equal(hint?.formats.httpResponse?.action, 'hint');
  assert.equal(hint?.formats.httpStream?.action, 'hint');

  assert.deepEqual(parsePublishItem({ channel: 'ignored', formats: { 'http-stream': { content: 'x' } } }, { binary: false, channelOverride: 'sub' }).channel, 'sub');
});

test('every 400 case of POST /publish/ has the exact body text', () => {
  const cases: Array<[string | unknown, string]> = [
    ['{nope', 'Body is not valid JSON.'],
    ['', 'Body is not valid JSON.'],
    ['[]', 'Invalid format.'],
    ['"x"', 'Invalid format.'],
    [{}, "Invalid format: object does not contain 'items'"],
    [{ items: {} }, "Invalid format: object contains 'items' with wrong type"],
    [{ items: ['x'] }, 'Invalid format: publish item object is not an object'],
    [{ items: [{ formats: { 'http-stream': { content: 'x' } } }] }, "Invalid format: publish item object does not contain 'channel'"],
    [{ items: [{ channel: 1, formats: {} }] }, "Invalid format: publish item object contains 'channel' with wrong type"],
    [{ items: [{ channel: 'a' }] }, 'Invalid format: no formats specified'],
    [{ items: [{ channel: 'a', formats: {} }] }, 'Invalid format: no formats specified'],
    [{ items: [{ channel: 'a', formats: 1 }] }, "Invalid format: publish item object contains 'formats' with wrong type"],
    [{ items: [{ channel: 'a', id: 1, formats: {} }] }, "Invalid format: publish item object contains 'id' with wrong type"],
    [{ items: [{ channel: 'a', 'prev-id': [], formats: {} }] }, "Invalid format: publish item object contains 'prev-id' with wrong type"],
    [item({ 'http-stream': {} }), "Invalid format: 'http-stream' does not contain 'content' or 'content-bin'"],
    [item({ 'http-stream': { content: 1 } }), "Invalid format: 'http-stream' contains 'content' with wrong type"],
    [item({ 'http-stream': { 'content-bin': 1 } }), "Invalid format: 'http-stream' contains 'content-bin' with wrong type"],
    [item({ 'http-stream': 'x' }), "Invalid format: 'http-stream' is not an object"],
    [item({ 'http-stream': { action: 'explode' } }), 'Invalid format: '],
    [item({ 'http-stream': { action: 1 } }), "Invalid format: 'http-stream' contains 'action' with wrong type"],
    [item({ 'http-response': {} }), "Invalid format: 'http-response' does not contain 'body', 'body-bin', or 'body-patch'"],
    [item({ 'http-response': { code: 1000, body: '' } }), "Invalid format: 'http-response' contains 'code' with invalid value"],
    [item({ 'http-response': { code: {}, body: '' } }), "Invalid format: 'http-response' contains 'code' with wrong type"],
    [item({ 'http-response': { reason: 1, body: '' } }), "Invalid format: 'http-response' contains 'reason' with wrong type"],
    [item({ 'http-response': { headers: 'x', body: '' } }), "Invalid format: 'http-response' contains 'headers' with wrong type"],
    [item({ 'http-response': { headers: { a: 1 }, body: '' } }), "Invalid format: headers contains 'a' with wrong type"],
    [item({ 'http-response': { headers: [['a']], body: '' } }), 'Invalid format: headers contains list with wrong number of elements'],
    [item({ 'http-response': { body: 1 } }), "Invalid format: 'http-response' contains 'body' with wrong type"],
    [item({ 'http-response': { 'body-patch': {} } }), "Invalid format: 'http-response' contains 'body-patch' with wrong type"],
    [item({ 'http-response': { body: '', 'content-filters': 'x' } }), "Invalid format: 'http-response' contains 'content-filters' with wrong type"],
    [item({ 'http-response': { body: '', 'content-filters': [1] } }), 'Invalid format: content-filters contains element with wrong type'],
    [item({ 'ws-message': {} }), "Invalid format: 'ws-message' does not contain 'content' or 'content-bin'"],
    [item({ 'ws-message': { type: 'binary' } }), "Invalid format: 'ws-message' does not contain 'content' or 'content-bin'"],
    [item({ 'ws-message': { type: 'nope', content: 'x' } }), "Invalid format: 'ws-message' contains 'type' with unknown value"],
    [item({ 'ws-message': { 'content-bin': 5 } }), "Invalid format: 'ws-message' contains 'content-bin' with wrong type"],
    [item({ 'ws-message': { content: 5 } }), "Invalid format: 'ws-message' contains 'content' with wrong type"],
    [item({ 'ws-message': { action: 'close', code: -1 } }), "Invalid format: 'ws-message' contains 'code' with invalid value"],
    [item({ 'ws-message': { action: 'close', reason: 5 } }), "Invalid format: 'ws-message' contains 'reason' with wrong type"],
    [item({ 'http-stream': { content: 'x' } }, { meta: { a: 1 } }), "Invalid format: 'meta' contains 'a' with wrong type"],
    [item({ 'http-stream': { content: 'x' } }, { meta: 'x' }), "Invalid format: publish item object contains 'meta' with wrong type"],
    [item({ 'http-stream': { content: 'x' } }, { 'no-seq': 'true' }), "Invalid format: publish item object contains 'no-seq' with wrong type"],
    [item({ 'http-stream': { content: 'x' } }, { size: -1 }), "Invalid format: publish item object contains 'size' with invalid value"],
    [item({ 'http-stream': { content: 'x' } }, { size: [] }), "Invalid format: publish item object contains 'size' with wrong type"],
  ];
  for (const [input, message] of cases) {
    throwsCoded(() => parsePublishBody(body(input)), 'PP_ERR_PUBLISH_FORMAT', message);
  }
});

test('validation is all-or-nothing', () => {
  throwsCoded(
    () => parsePublishBody(body({ items: [{ channel: 'ok', formats: { 'http-stream': { content: 'x' } } }, { channel: 'bad' }] })),
    'PP_ERR_PUBLISH_FORMAT', 'Invalid format: no formats specified',
  );
});

test('unknown format names alone are accepted (nobody receives them), invalid UTF-8 is not JSON', () => {
  assert.deepEqual(parsePublishBody(body(item({ 'x-other': {} })))[0]?.formats, {});
  throwsCoded(() => parsePublishBody(Buffer.from([0x7b, 0xff, 0x7d])), 'PP_ERR_PUBLISH_FORMAT', 'Body is not valid JSON.');
});
