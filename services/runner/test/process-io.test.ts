import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { forwardLines } from '../src/process-io.js';

test('forwardLines passes whole lines, several per chunk, and holds a partial line back', async () => {
  const input = new PassThrough();
  const calls: string[] = [];
  forwardLines(input, (t) => calls.push(t));
  const ended = new Promise((r) => input.on('end', r));
  input.write('a\nb\nc');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['a\nb\n'], 'complete lines at once, "c" waits for its newline');
  input.write('c\nd');
  input.end('e');
  await ended;
  assert.deepEqual(calls, ['a\nb\n', 'cc\n', 'de\n'], 'the unterminated tail is completed at the end');
});

test('forwardLines does not hold an endless line forever', async () => {
  const input = new PassThrough();
  const calls: string[] = [];
  forwardLines(input, (t) => calls.push(t));
  input.write('x'.repeat(70 * 1024));
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.length, 1);
  assert.ok(calls[0]?.endsWith('x\n'));
  input.end();
});
