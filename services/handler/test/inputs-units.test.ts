// Pure parts of the publish inputs: Accept negotiation, get-zmq-uris, ZeroMQ item decoding,
// stats packet encoding. Table-driven.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMap, encode, toPlain } from '@pushpin-ts/tnetstring';
import { zmqUris } from '../src/command/zmq-uris.js';
import { messageBody, negotiateFormat } from '../src/inputs/accept-negotiation.js';
import { PublishIntake } from '../src/inputs/publish-intake.js';
import { encodeStatsPacket } from '../src/inputs/stats-publisher.js';
import { captureLog } from './inputs-helpers.js';
import { decodeZmqItem } from '../src/inputs/zmq-message.js';

describe('negotiateFormat', () => {
  const cases: Array<[string | undefined, 'text' | 'json' | undefined]> = [
    [undefined, 'text'],
    ['', undefined],
    [' , ', undefined],
    ['text/plain', 'text'],
    ['text/*', 'text'],
    ['*/*', 'text'],
    ['*', 'text'],
    ['application/json', 'json'],
    ['application/*', 'json'],
    ['text/html', undefined],
    ['Application/JSON', undefined],
    ['application/json, text/plain', 'text'],
    ['text/plain, application/json', 'json'],
    ['application/json;q=0.1, image/png', 'json'],
    ['image/png ; q=1 , */* ; q=0.1', 'text'],
  ];
  for (const [accept, want] of cases) {
    test(`Accept ${JSON.stringify(accept)} → ${String(want)}`, () => assert.equal(negotiateFormat(accept), want));
  }
  test('message bodies', () => {
    assert.deepEqual(messageBody('text', 'Published'), { contentType: 'text/plain', body: 'Published\n' });
    assert.deepEqual(messageBody('json', 'Updated'), { contentType: 'application/json', body: '{"message":"Updated"}\n' });
  });
});

describe('zmqUris', () => {
  const cases: Array<[Parameters<typeof zmqUris>[0], Record<string, string>]> = [
    [{ commandSpec: 'tcp://127.0.0.1:5563', pushInSpec: 'tcp://127.0.0.1:5560', pushInSubSpecs: ['tcp://127.0.0.1:5562'], pushInSubConnect: false },
      { command: 'tcp://127.0.0.1:5563', 'publish-pull': 'tcp://127.0.0.1:5560', 'publish-sub': 'tcp://127.0.0.1:5562' }],
    [{ commandSpec: 'tcp://10.0.0.5:5563', pushInSpec: 'tcp://*:5560', pushInSubSpecs: ['tcp://*:5562', 'tcp://*:6000'], pushInSubConnect: false },
      { command: 'tcp://10.0.0.5:5563', 'publish-pull': 'tcp://10.0.0.5:5560', 'publish-sub': 'tcp://10.0.0.5:5562' }],
    [{ commandSpec: 'tcp://*:5563', pushInSpec: 'tcp://*:5560', pushInSubSpecs: [], pushInSubConnect: false },
      { command: 'tcp://*:5563', 'publish-pull': 'tcp://*:5560' }],
    [{ commandSpec: 'ipc:///run/cmd', pushInSpec: 'tcp://*:5560', pushInSubSpecs: ['tcp://pub:5562'], pushInSubConnect: true },
      { command: 'ipc:///run/cmd', 'publish-pull': 'tcp://*:5560' }],
    [{ commandSpec: '', pushInSpec: '', pushInSubSpecs: [], pushInSubConnect: false }, {}],
    [{ commandSpec: 'tcp://[::1]:5563', pushInSpec: 'tcp://*:5560', pushInSubSpecs: [], pushInSubConnect: false },
      { command: 'tcp://[::1]:5563', 'publish-pull': 'tcp://[::1]:5560' }],
  ];
  for (const [cfg, want] of cases) test(JSON.stringify(cfg), () => assert.deepEqual(zmqUris(cfg), want));
});

describe('decodeZmqItem', () => {
  const valid = { channel: 'c', formats: { 'http-stream': { content: 'x' } } };
  test('J, T and plain encodings', () => {
    for (const msg of [Buffer.from('J' + JSON.stringify(valid)), Buffer.concat([Buffer.from('T'), encode(valid)]), encode(valid)]) {
      const r = decodeZmqItem(msg);
      assert.ok(r.ok, JSON.stringify(r));
      assert.equal(r.item.channel, 'c');
    }
  });
  test('the channel argument overrides the item channel unless empty', () => {
    const r = decodeZmqItem(Buffer.from('J' + JSON.stringify(valid)), 'other');
    assert.ok(r.ok && r.item.channel === 'other');
    const e = decodeZmqItem(Buffer.from('J' + JSON.stringify(valid)), '');
    assert.ok(e.ok && e.item.channel === 'c');
    const noChannel = decodeZmqItem(Buffer.from('J{"formats":{"http-stream":{"content":"x"}}}'), 'sub');
    assert.ok(noChannel.ok && noChannel.item.channel === 'sub');
  });
  test('JSON content-bin is base64, tnetstring content-bin is raw bytes', () => {
    const j = decodeZmqItem(Buffer.from('J{"channel":"c","formats":{"ws-message":{"content-bin":"AAEC"}}}'));
    assert.ok(j.ok);
    assert.deepEqual(j.item.formats.wsMessage?.content, Buffer.from([0, 1, 2]));
    const t = decodeZmqItem(encode({ channel: 'c', formats: { 'ws-message': { 'content-bin': Buffer.from([9, 8]) } } }));
    assert.ok(t.ok);
    assert.deepEqual(t.item.formats.wsMessage?.content, Buffer.from([9, 8]));
  });
  const bad: Array<[string, Buffer, string]> = [
    ['empty', Buffer.alloc(0), 'received message with invalid format (tnetstring parse failed)'],
    ['garbage', Buffer.from('hello'), 'received message with invalid format (tnetstring parse failed)'],
    ['T garbage', Buffer.from('Txx'), 'received message with invalid format (tnetstring parse failed)'],
    ['bad JSON', Buffer.from('J{'), 'received message with invalid format (json parse failed)'],
    ['JSON array', Buffer.from('J[]'), 'received message with invalid format (not a valid json object)'],
    ['JSON null', Buffer.from('Jnull'), 'received message with invalid format (not a valid json object)'],
    ['tnet list', encode([1]), 'received message with invalid format: publish item object is not an object'],
    ['no channel', encode({ formats: { 'http-stream': { content: 'x' } } }), "received message with invalid format: publish item object does not contain 'channel'"],
    ['unknown action', Buffer.from('J{"channel":"c","formats":{"http-stream":{"action":"x"}}}'), 'received message with invalid format: '],
  ];
  for (const [name, msg, error] of bad) {
    test(`rejects ${name}`, () => assert.deepEqual(decodeZmqItem(msg), { ok: false, error }));
  }
});

describe('encodeStatsPacket', () => {
  test('json: sorted keys after "<type> J"', () => {
    assert.equal(encodeStatsPacket('sub', { mode: 'stream', channel: 'foo', from: 'h', subscribers: 1, ttl: 60 }, 'json').toString(),
      'sub J{"channel":"foo","from":"h","mode":"stream","subscribers":1,"ttl":60}');
  });
  test('tnetstring: "<type> T" + map with byte strings, ints and bools', () => {
    const buf = encodeStatsPacket('conn', { id: 'condure:1', unavailable: true, from: 'h' }, 'tnetstring');
    assert.equal(buf.subarray(0, 6).toString(), 'conn T');
    assert.deepEqual(toPlain(decodeMap(buf.subarray(6))), { from: 'h', id: 'condure:1', unavailable: true });
  });
});

describe('PublishIntake', () => {
  const item = { channel: 'c', meta: {}, noSeq: false, formats: {} };
  test('counts items and skips empty batches', () => {
    const got: unknown[][] = [];
    const intake = new PublishIntake({ publish: (i) => { got.push(i); } }, captureLog().log);
    intake.publish([], 'http');
    intake.publish([item, item], 'pull');
    assert.equal(got.length, 1);
    assert.equal(intake.received, 2);
  });
  test('a throwing hub is logged, never thrown', () => {
    const cap = captureLog();
    const intake = new PublishIntake({ publish: () => { throw new Error('boom'); } }, cap.log);
    intake.publish([item], 'sub');
    const line = cap.lines.find((l) => l['msg'] === 'hub failed to take published items');
    assert.equal(line?.['err'], 'Error: boom');
    assert.equal(line?.['source'], 'sub');
  });
});
