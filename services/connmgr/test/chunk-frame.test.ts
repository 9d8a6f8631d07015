import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkFrameCache, chunkFrame, LAST_CHUNK } from '../src/chunk-frame.js';

const wire = (f: { name: string; value: Buffer | string }) => `${f.name}: ${f.value.toString()}\r\n`;

test('chunk frame: one buffer or several parts become one chunk as uWS writes it', () => {
  assert.equal(wire(chunkFrame(Buffer.from('hello'))), '5;p=": "\r\nhello\r\n');
  const parts = [Buffer.from('a'.repeat(10)), Buffer.from('bc')];
  assert.equal(wire(chunkFrame(parts)), `c;p=": "\r\n${'a'.repeat(10)}bc\r\n`);
  assert.equal(wire(chunkFrame(parts)).length, 'c;p=": "\r\n'.length + 12 + 2, 'the length is what the parts hold');
  assert.equal(chunkFrame(Buffer.alloc(0)), LAST_CHUNK);
  assert.equal(wire(LAST_CHUNK), '0;p=": "\r\n');
});

test('chunk frame cache: the same body buffer is framed once; another buffer is framed anew', () => {
  const c = new ChunkFrameCache();
  const body = Buffer.from('item\n');
  const f1 = c.of(body);
  assert.equal(c.of(body), f1);
  assert.equal(c.hits, 1);
  const other = Buffer.from('item\n');
  const f2 = c.of(other);
  assert.notEqual(f2, f1);
  assert.equal(wire(f2), wire(f1));
});
