import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCloseContent, decodeWsEvents, encodeCloseContent, encodeWsEvents, type WsEvent } from '../src/index.js';
import { throwsCoded } from './helpers.js';

const b = (s: string) => Buffer.from(s, 'latin1');

test('encode/decode round trip with exact framing', () => {
  const cases: Array<[WsEvent[], string]> = [
    [[{ type: 'OPEN' }], 'OPEN\r\n'],
    [[{ type: 'TEXT', content: b('hello') }], 'TEXT 5\r\nhello\r\n'],
    [[{ type: 'TEXT', content: Buffer.alloc(0) }], 'TEXT 0\r\n\r\n'],
    [[{ type: 'BINARY', content: Buffer.alloc(0x1a2, 0x61) }], `BINARY 1a2\r\n${'a'.repeat(0x1a2)}\r\n`],
    [[{ type: 'TEXT', content: b('hello') }, { type: 'PING', content: b('pp') }, { type: 'CLOSE', content: b('\x0f\xa1bye') }],
      'TEXT 5\r\nhello\r\nPING 2\r\npp\r\nCLOSE 5\r\n\x0f\xa1bye\r\n'],
    [[{ type: 'PONG' }, { type: 'DISCONNECT' }], 'PONG\r\nDISCONNECT\r\n'],
    [[], ''],
  ];
  for (const [events, wire] of cases) {
    assert.equal(encodeWsEvents(events).toString('latin1'), wire);
    assert.deepEqual(decodeWsEvents(b(wire)), events, JSON.stringify(wire));
  }
});

test('decoder leniency: uppercase hex, unknown types skipped, CRLF after content unchecked', () => {
  assert.deepEqual(decodeWsEvents(b('TEXT A\r\n0123456789\r\n')), [{ type: 'TEXT', content: b('0123456789') }]);
  assert.deepEqual(decodeWsEvents(b('FOO\r\nBAR 1\r\nx\r\nOPEN\r\n')), [{ type: 'OPEN' }]);
  assert.deepEqual(decodeWsEvents(b('TEXT 1\r\nxXXOPEN\r\n')), [{ type: 'TEXT', content: b('x') }, { type: 'OPEN' }]);
  assert.deepEqual(decodeWsEvents(b('TEXT 2\r\nhi')), [{ type: 'TEXT', content: b('hi') }]);
});

test('malformed bodies throw PP_ERR_WS_EVENTS_MALFORMED', () => {
  const cases: Array<[string, string]> = [
    ['OPEN', 'event line without CRLF'],
    ['TEXT zz\r\nab\r\n', "invalid content length in event line 'TEXT zz'"],
    ['TEXT -1\r\n', "invalid content length in event line 'TEXT -1'"],
    ['TEXT 10\r\nshort\r\n', 'event content truncated'],
  ];
  for (const [wire, message] of cases) throwsCoded(() => decodeWsEvents(b(wire)), 'PP_ERR_WS_EVENTS_MALFORMED', message);
});

test('CLOSE content helpers', () => {
  assert.deepEqual(encodeCloseContent(4001, 'bye'), b('\x0f\xa1bye'));
  assert.deepEqual(encodeCloseContent(), Buffer.alloc(0));
  assert.deepEqual(decodeCloseContent(b('\x03\xe8done')), { code: 1000, reason: 'done' });
  assert.deepEqual(decodeCloseContent(undefined), { reason: '' });
});
