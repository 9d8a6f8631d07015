import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { encodingsToUndo, relayedResponseHeaders, ResponseDecoder } from '../src/index.js';

const UNDO: Array<[Array<[string, string]>, string[] | undefined]> = [
  [[], undefined],
  [[['Content-Encoding', 'identity']], undefined],
  [[['Content-Encoding', 'gzip']], ['gzip']],
  [[['content-encoding', 'gzip, br']], ['br', 'gzip']],
  [[['Content-Encoding', 'gzip'], ['Content-Encoding', 'deflate']], ['deflate', 'gzip']],
  [[['Content-Encoding', 'compress']], undefined],
  [[['Content-Encoding', 'gzip, zstd']], undefined],
];
for (const [h, want] of UNDO) test(`encodingsToUndo ${JSON.stringify(h)}`, () => assert.deepEqual(encodingsToUndo(h), want));

test('relayedResponseHeaders drops hop-by-hop, and encoding/length when decoded', () => {
  const h: Array<[string, string]> = [['Content-Type', 'a'], ['Transfer-Encoding', 'chunked'], ['Connection', 'keep-alive'], ['Keep-Alive', 'timeout=5'],
    ['Content-Encoding', 'gzip'], ['Content-Length', '10'], ['Set-Cookie', 'a'], ['Set-Cookie', 'b']];
  assert.deepEqual(relayedResponseHeaders(h, false), [['Content-Type', 'a'], ['Content-Encoding', 'gzip'], ['Content-Length', '10'], ['Set-Cookie', 'a'], ['Set-Cookie', 'b']]);
  assert.deepEqual(relayedResponseHeaders(h, true), [['Content-Type', 'a'], ['Set-Cookie', 'a'], ['Set-Cookie', 'b']]);
});

const text = Buffer.from('hello decoded world '.repeat(500));
const BODIES: Array<[string, string[], Buffer]> = [
  ['gzip', ['gzip'], gzipSync(text)],
  ['deflate (zlib)', ['deflate'], deflateSync(text)],
  ['deflate (raw)', ['deflate'], deflateRawSync(text)],
  ['br', ['br'], brotliCompressSync(text)],
  ['gzip then br', ['br', 'gzip'], brotliCompressSync(gzipSync(text))],
];
for (const [name, enc, body] of BODIES) {
  test(`ResponseDecoder decodes ${name} fed in small pieces`, async () => {
    const out: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const d = new ResponseDecoder(enc, { onData: (c) => out.push(c), onEnd: resolve, onError: reject });
      for (let k = 0; k < body.length; k += 7) d.write(body.subarray(k, k + 7));
      d.end();
    });
    assert.ok(Buffer.concat(out).equals(text));
  });
}

test('ResponseDecoder reports corrupt data', async () => {
  const err = await new Promise<Error>((resolve) => {
    const d = new ResponseDecoder(['gzip'], { onData: () => undefined, onEnd: () => resolve(new Error('no error')), onError: resolve });
    d.write(Buffer.from('this is not gzip at all'));
    d.end();
  });
  assert.match(String((err as { code?: string }).code), /^Z_/);
});
