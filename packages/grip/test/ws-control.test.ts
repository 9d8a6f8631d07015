import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWsControlMessage, type WsControl } from '../src/index.js';
import { throwsCoded } from './helpers.js';

const j = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

test('valid control messages', () => {
  const cases: Array<[unknown, WsControl]> = [
    [{ type: 'subscribe', channel: 'test' }, { type: 'subscribe', channel: 'test', filters: [] }],
    [{ type: 'subscribe', channel: 'c', filters: ['skip-self'] }, { type: 'subscribe', channel: 'c', filters: ['skip-self'] }],
    [{ type: 'unsubscribe', channel: 'c' }, { type: 'unsubscribe', channel: 'c' }],
    [{ type: 'detach' }, { type: 'detach' }],
    [{ type: 'flush-delayed' }, { type: 'flush-delayed' }],
    [{ type: 'session', id: 's1' }, { type: 'session', id: 's1' }],
    [{ type: 'session' }, { type: 'session' }],
    [{ type: 'set-meta', name: 'user', value: 'alice' }, { type: 'set-meta', name: 'user', value: 'alice' }],
    [{ type: 'set-meta', name: 'user', value: null }, { type: 'set-meta', name: 'user' }],
    [{ type: 'set-meta', name: 'user' }, { type: 'set-meta', name: 'user' }],
    [{ type: 'keep-alive', content: 'KA', timeout: 2 }, { type: 'keep-alive', content: Buffer.from('KA'), messageType: 'text', timeout: 2, mode: 'idle' }],
    [{ type: 'keep-alive', 'content-bin': 'AAE=', 'message-type': 'ping', mode: 'interval' }, { type: 'keep-alive', content: Buffer.from([0, 1]), messageType: 'ping', mode: 'interval' }],
    [{ type: 'keep-alive' }, { type: 'keep-alive', messageType: 'text', mode: 'idle' }],
    [{ type: 'send-delayed', content: 'later', timeout: 3 }, { type: 'send-delayed', content: Buffer.from('later'), messageType: 'text', timeout: 3 }],
  ];
  for (const [input, expected] of cases) assert.deepEqual(parseWsControlMessage(j(input)), expected, JSON.stringify(input));
});

test('invalid control messages', () => {
  const cases: Array<[unknown, string]> = [
    ['{', 'failed to parse grip control message as JSON'],
    ['[]', 'grip control packet is not an object'],
    [{}, "grip control object does not contain 'type'"],
    [{ type: 1 }, "grip control object contains 'type' with wrong type"],
    [{ type: 'dance' }, "'type' contains unknown value: dance"],
    [{ type: 'subscribe' }, "grip control object does not contain 'channel'"],
    [{ type: 'subscribe', channel: '' }, "grip control object contains 'channel' with invalid value"],
    [{ type: 'subscribe', channel: 'c', filters: 'x' }, "grip control object contains 'filters' with wrong type"],
    [{ type: 'subscribe', channel: 'c', filters: [1] }, 'filters contains value with wrong type'],
    [{ type: 'set-meta', name: '' }, "grip control object contains 'name' with invalid value"],
    [{ type: 'set-meta', name: 'a', value: 1 }, "grip control object contains 'value' with wrong type"],
    [{ type: 'keep-alive', 'message-type': 'x' }, "grip control object contains 'message-type' with unknown value"],
    [{ type: 'keep-alive', 'content-bin': 1 }, "grip control object contains 'content-bin' with wrong type"],
    [{ type: 'keep-alive', content: 'x', timeout: -1 }, "grip control object contains 'timeout' with invalid value"],
  ];
  for (const [input, message] of cases) throwsCoded(() => parseWsControlMessage(j(input)), 'PP_ERR_WS_CONTROL_INVALID', message);
});
