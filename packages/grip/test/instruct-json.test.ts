import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInstruct } from '../src/index.js';
import { resp, throwsCoded } from './helpers.js';

const CT: [string, string] = ['Content-Type', 'application/grip-instruct'];

function json(obj: unknown, extra: Array<[string, string]> = []) {
  return parseInstruct(resp([CT, ...extra], typeof obj === 'string' ? obj : JSON.stringify(obj)));
}

test('observed instruct: response hold with custom timeout response', () => {
  const i = json({ hold: { mode: 'response', channels: [{ name: 'test' }], timeout: 5 }, response: { code: 202, headers: { 'X-A': 'b' }, body: 'instruct timeout\n' } });
  assert.equal(i.hold, 'response');
  assert.deepEqual(i.channels, [{ name: 'test', filters: [] }]);
  assert.equal(i.timeout, 5);
  assert.deepEqual(i.response, { code: 202, reason: 'Accepted', headers: [['X-A', 'b']], body: Buffer.from('instruct timeout\n') });
});

test('JSON form quirks', () => {
  // hold without mode is a response hold; prev-id and filters are read.
  let i = json({ hold: { channels: [{ name: 'a', 'prev-id': '1', filters: ['skip-self'] }] } });
  assert.equal(i.hold, 'response');
  assert.deepEqual(i.channels, [{ name: 'a', prevId: '1', filters: ['skip-self'] }]);

  // Without "response" the client gets 200 with no headers and an empty body; backend headers/body are dropped.
  i = parseInstruct(resp([CT, ['X-Backend', '1']], JSON.stringify({ hold: { mode: 'stream', channels: [] } })));
  assert.deepEqual(i.response, { code: 200, reason: 'OK', headers: [], body: Buffer.alloc(0) });

  // Header channels come first, JSON channels are appended, JSON hold overrides Grip-Hold.
  i = json({ hold: { mode: 'stream', channels: [{ name: 'j' }] } }, [['Grip-Hold', 'response'], ['Grip-Channel', 'h']]);
  assert.equal(i.hold, 'stream');
  assert.deepEqual(i.channels.map((c) => c.name), ['h', 'j']);

  // JSON keep-alive has no mode: interval; default timeout 55; content-bin wins over content.
  i = json({ hold: { mode: 'stream', channels: [], 'keep-alive': { content: 'ka', 'content-bin': 'OgoK' } } });
  assert.deepEqual(i.keepAlive, { data: Buffer.from(':\n\n'), timeout: 55, mode: 'interval' });

  // headers as list, body-bin, explicit reason, object keys sorted like QVariantMap.
  i = json({ response: { code: 201, reason: 'Made', headers: [['B', '1'], ['A', '2']], 'body-bin': 'aGk=' } });
  assert.deepEqual(i.response, { code: 201, reason: 'Made', headers: [['B', '1'], ['A', '2']], body: Buffer.from('hi') });
  i = json({ response: { headers: { Zed: '1', Alpha: '2', 'Grip-X': 'y', 'Content-Length': '3' } } });
  assert.deepEqual(i.response.headers, [['Alpha', '2'], ['Zed', '1']]);

  // meta and timeout minimum.
  i = json({ hold: { channels: [], meta: { user: 'alice' }, timeout: 0 } });
  assert.deepEqual(i.meta, { user: 'alice' });
  assert.equal(i.timeout, 5);

  // 1.36 converts any string to an int (non-numeric gives 0).
  assert.equal(json({ response: { code: 'abc' } }).response.code, 0);
  assert.equal(json({ response: { code: '204' } }).response.code, 204);

  // Grip-Status applies to the JSON response when it gives no code.
  i = json({ response: { body: 'x' } }, [['Grip-Status', '404']]);
  assert.deepEqual([i.response.code, i.response.reason], [404, 'Not Found']);
});

test('JSON instruct errors', () => {
  const cases: Array<[unknown, string]> = [
    ['{nope', 'failed to parse application/grip-instruct content as JSON'],
    ['', 'failed to parse application/grip-instruct content as JSON'],
    ['[1]', 'instruct must be an object'],
    ['"text"', 'instruct must be an object'],
    [{ hold: 1 }, "instruct contains 'hold' with wrong type"],
    [{ hold: { mode: 'x', channels: [] } }, "hold 'mode' must be set to either 'response' or 'stream'"],
    [{ hold: { mode: 5, channels: [] } }, "hold contains 'mode' with wrong type"],
    [{ hold: {} }, "hold does not contain 'channels'"],
    [{ hold: { channels: {} } }, "hold contains 'channels' with wrong type"],
    [{ hold: { channels: ['a'] } }, 'channel is not an object'],
    [{ hold: { channels: [{}] } }, "channel does not contain 'name'"],
    [{ hold: { channels: [{ name: 1 }] } }, "channel contains 'name' with wrong type"],
    [{ hold: { channels: [{ name: 'a', 'prev-id': 1 }] } }, "channel contains 'prev-id' with wrong type"],
    [{ hold: { channels: [{ name: 'a', filters: 'x' }] } }, "channel contains 'filters' with wrong type"],
    [{ hold: { channels: [{ name: 'a', filters: [1] }] } }, 'filters contains value with wrong type'],
    [{ hold: { channels: [], timeout: [] } }, "hold contains 'timeout' with wrong type"],
    [{ hold: { channels: [], timeout: -1 } }, "hold contains 'timeout' with invalid value"],
    [{ hold: { channels: [], 'keep-alive': 1 } }, "hold contains 'keep-alive' with wrong type"],
    [{ hold: { channels: [], 'keep-alive': { content: 1 } } }, "keep-alive contains 'content' with wrong type"],
    [{ hold: { channels: [], 'keep-alive': { 'content-bin': 1 } } }, "keep-alive contains 'content-bin' with wrong type"],
    [{ hold: { channels: [], 'keep-alive': { content: 'x', timeout: {} } } }, "keep-alive contains 'timeout' with wrong type"],
    [{ hold: { channels: [], 'keep-alive': { content: 'x', timeout: -2 } } }, "keep-alive contains 'timeout' with invalid value"],
    [{ hold: { channels: [], meta: [] } }, "hold contains 'meta' with wrong type"],
    [{ hold: { channels: [], meta: { x: 1 } } }, "'meta' contains 'x' with wrong type"],
    [{ response: 'x' }, "instruct contains 'response' with wrong type"],
    [{ response: { code: {} } }, "response contains 'code' with wrong type"],
    [{ response: { code: 1000 } }, "response contains 'code' with invalid value"],
    [{ response: { reason: 1 } }, "response contains 'reason' with wrong type"],
    [{ response: { headers: 'x' } }, "response contains 'headers' with wrong type"],
    [{ response: { headers: ['x'] } }, 'headers contains element with wrong type'],
    [{ response: { headers: [['a']] } }, 'headers contains list with wrong number of elements'],
    [{ response: { headers: [[1, 'a']] } }, 'header contains name element with wrong type'],
    [{ response: { headers: [['a', 1]] } }, 'header contains value element with wrong type'],
    [{ response: { headers: { a: 1 } } }, "headers contains 'a' with wrong type"],
    [{ response: { body: 1 } }, "response contains 'body' with wrong type"],
    [{ response: { 'body-bin': 1 } }, "response contains 'body-bin' with wrong type"],
  ];
  for (const [body, message] of cases) throwsCoded(() => json(body), 'PP_ERR_GRIP_INSTRUCT', message);
});
