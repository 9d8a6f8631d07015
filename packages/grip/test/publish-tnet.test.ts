import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePublishItem, parsePublishItems } from '../src/index.js';
import { throwsCoded, tmap } from './helpers.js';

const T = { binary: true };

test('tnetstring-style items: Buffers in null-prototype maps', () => {
  const i = parsePublishItem(tmap({
    channel: 'test', id: '2', 'prev-id': '1', 'no-seq': false, size: 3n,
    meta: tmap({ sender: 'bob' }),
    formats: tmap({
      'http-response': tmap({ code: 201, headers: [[Buffer.from('X-A'), Buffer.from('b')]], body: Buffer.from([0xff, 0x00]) }),
      'http-stream': tmap({ content: Buffer.from([1, 2, 3]) }),
      'ws-message': tmap({ 'content-bin': Buffer.from([9]) }),
    }),
  }), T);
  assert.deepEqual(i, {
    channel: 'test', id: '2', prevId: '1', meta: { sender: 'bob' }, noSeq: false, size: 3,
    formats: {
      httpResponse: { action: 'send', code: 201, reason: 'Created', headers: [['X-A', 'b']], body: Buffer.from([0xff, 0x00]) },
      httpStream: { action: 'send', content: Buffer.from([1, 2, 3]) },
      wsMessage: { action: 'send', type: 'binary', content: Buffer.from([9]) },
    },
  });
});

test('*-bin fields are JSON-only for HTTP formats; ws content-bin must be bytes in tnetstring', () => {
  throwsCoded(() => parsePublishItem(tmap({ channel: 'c', formats: tmap({ 'http-stream': tmap({ 'content-bin': 'aGk=' }) }) }), T),
    'PP_ERR_PUBLISH_FORMAT', "'http-stream' does not contain 'content'");
  throwsCoded(() => parsePublishItem(tmap({ channel: 'c', formats: tmap({ 'http-response': tmap({ 'body-bin': 'aGk=' }) }) }), T),
    'PP_ERR_PUBLISH_FORMAT', "'http-response' does not contain 'body' or 'body-patch'");
  throwsCoded(() => parsePublishItem(tmap({ channel: 'c', formats: tmap({ 'ws-message': tmap({ 'content-bin': 5 }) }) }), T),
    'PP_ERR_PUBLISH_FORMAT', "'ws-message' contains 'content-bin' with wrong type");
  // The same body-bin in JSON is base64-decoded.
  const j = parsePublishItem({ channel: 'c', formats: { 'http-stream': { 'content-bin': 'aGk=' } } }, { binary: false });
  assert.deepEqual(j.formats.httpStream?.content, Buffer.from('hi'));
});

test('legacy top-level formats, channel override and Map input', () => {
  const i = parsePublishItem(tmap({ 'ws-message': tmap({ content: 'hey' }) }), { binary: true, channelOverride: 'from-sub' });
  assert.equal(i.channel, 'from-sub');
  assert.deepEqual(i.formats.wsMessage, { action: 'send', type: 'text', content: Buffer.from('hey') });
  const m = parsePublishItem(new Map<string, unknown>([['channel', Buffer.from('m')], ['formats', new Map([['http-stream', new Map([['content', Buffer.from('x')]])]])]]), T);
  assert.equal(m.channel, 'm');
  assert.deepEqual(m.formats.httpStream?.content, Buffer.from('x'));
});

test('command publish args: items list checks', () => {
  throwsCoded(() => parsePublishItems(tmap({}), T), 'PP_ERR_PUBLISH_FORMAT', "Invalid format: object does not contain 'items'");
  throwsCoded(() => parsePublishItems(tmap({ items: 'x' }), T), 'PP_ERR_PUBLISH_FORMAT', "Invalid format: object contains 'items' with wrong type");
  throwsCoded(() => parsePublishItems(tmap({ items: [tmap({ formats: tmap({}) })] }), T), 'PP_ERR_PUBLISH_FORMAT',
    "Invalid format: publish item object does not contain 'channel'");
  assert.equal(parsePublishItems(tmap({ items: [tmap({ channel: 'a', formats: tmap({ 'http-stream': tmap({ content: 'x' }) }) })] }), T).length, 1);
});
