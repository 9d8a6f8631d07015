// Pure pieces: header merge, published body, fast data packet encoding, command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodePacket } from '@pushpin-ts/zhttp';
import { mergeResponseHeaders, publishedBody } from '../src/response-build.js';
import { encodeAddressSegment, encodeBodySegment, encodeDataPacket } from '../src/stream-packet.js';
import { effectiveLogLevel, parseArgs } from '../src/args.js';

type H = Array<[string, string]>;
const mergeCases: Array<{ name: string; base: H; item: H; want: H }> = [
  { name: 'no item headers', base: [['A', '1']], item: [], want: [['A', '1']] },
  { name: 'append new', base: [['A', '1']], item: [['B', '2']], want: [['A', '1'], ['B', '2']] },
  { name: 'replace all of a name, case-insensitive', base: [['X', '1'], ['A', '0'], ['x', '2']], item: [['X', '3']], want: [['A', '0'], ['X', '3']] },
  { name: 'item repeats a name', base: [['Set-Cookie', 'a']], item: [['Set-Cookie', 'b'], ['Set-Cookie', 'c']], want: [['Set-Cookie', 'b'], ['Set-Cookie', 'c']] },
  { name: 'Grip-* and framing dropped from both', base: [['Grip-Hold', 'x'], ['Content-Length', '3'], ['C', '1']], item: [['Grip-Channel', 'y'], ['Transfer-Encoding', 'chunked'], ['Connection', 'close']], want: [['C', '1']] },
  { name: 'Grip-Expose-Headers in the item removes named headers (1.36)', base: [['A', '1'], ['B', '2']], item: [['Grip-Expose-Headers', 'b, C'], ['C', '3']], want: [['A', '1']] },
];
for (const c of mergeCases) {
  test(`mergeResponseHeaders: ${c.name}`, () => assert.deepEqual(mergeResponseHeaders(c.base, c.item), c.want));
}

const held = { code: 200, reason: 'OK', headers: [] as H, body: Buffer.from('{"a":[1]}\r\n') };
const bodyCases: Array<{ name: string; f: Parameters<typeof publishedBody>[1]; want: string }> = [
  { name: 'body', f: { action: 'send', code: 200, reason: 'OK', headers: [], body: Buffer.from('x') }, want: 'x' },
  { name: 'body-patch keeps CRLF', f: { action: 'send', code: 200, reason: 'OK', headers: [], bodyPatch: [{ op: 'add', path: '/a/-', value: 2 }] }, want: '{"a":[1,2]}\r\n' },
  { name: 'failing patch gives empty body', f: { action: 'send', code: 200, reason: 'OK', headers: [], bodyPatch: [{ op: 'remove', path: '/nope' }] }, want: '' },
];
for (const c of bodyCases) {
  test(`publishedBody: ${c.name}`, () => assert.equal(publishedBody(held, c.f).toString(), c.want));
}

const packetCases = [
  { from: 'pushpin-handler_12', id: '0-0-2', seq: 3, body: 'hello\n', more: true },
  { from: 'h', id: 'x', seq: 1234567, body: '', more: false },
  { from: 'h', id: 'bin\xff', seq: 0, body: '\x00\xff}]#,', more: true },
];
for (const c of packetCases) {
  test(`encodeDataPacket decodes like encodePacket: seq ${c.seq}`, () => {
    const body = Buffer.from(c.body, 'latin1');
    const fast = encodeDataPacket(encodeAddressSegment(c.from, c.id), c.seq, encodeBodySegment(body), c.more);
    const p = decodePacket(fast);
    const ref = decodePacket(encodePacket({ from: c.from, id: c.id, seq: c.seq, body, ...(c.more ? { more: true } : {}) }));
    assert.deepEqual(p, ref);
    assert.equal(p.body?.toString('latin1'), c.body);
  });
}

test('parseArgs: every 1.36 option, both value forms, repeatable --set', () => {
  const a = parseArgs(['--config', 'a.conf', '--ipc-prefix=x-', '--port-offset', '7', '--loglevel=3', '--verbose', '--logfile=/tmp/l', '--libdir', '/lib', '--set', 'handler.a=1', '--set=proxy.b=c=d']);
  assert.equal(a.config, 'a.conf');
  assert.equal(a.ipcPrefix, 'x-');
  assert.equal(a.portOffset, 7);
  assert.equal(a.logLevel, 3);
  assert.equal(a.verbose, true);
  assert.equal(a.logFile, '/tmp/l');
  assert.equal(a.libdir, '/lib');
  assert.deepEqual(a.set, [['handler.a', '1'], ['proxy.b', 'c=d']]);
});

test('parseArgs: errors', () => {
  for (const bad of [['--nope'], ['--config'], ['--port-offset=x'], ['--set', 'novalue'], ['stray'], ['--verbose=1']]) {
    assert.throws(() => parseArgs(bad), (e: Error & { code?: string }) => e.code === 'PP_ERR_HANDLER_ARGS', bad.join(' '));
  }
});

test('effectiveLogLevel: --loglevel beats --verbose, default 2', () => {
  assert.equal(effectiveLogLevel(parseArgs([])), 2);
  assert.equal(effectiveLogLevel(parseArgs(['--verbose'])), 3);
  assert.equal(effectiveLogLevel(parseArgs(['--verbose', '--loglevel=1'])), 1);
});
