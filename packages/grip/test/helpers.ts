import assert from 'node:assert/strict';
import type { HttpResponseData } from '../src/index.js';

/** A backend response with the given headers (status 200 OK unless told). */
export function resp(headers: Array<[string, string]>, body = '', code = 200, reason = 'OK'): HttpResponseData {
  return { code, reason, headers, body: Buffer.from(body) };
}

/** Asserts that `fn` throws an error with this `code` and exact `message`. */
export function throwsCoded(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof Error, 'expected an Error');
    assert.equal((err as { code?: unknown }).code, code);
    assert.equal(err.message, message);
    return true;
  });
}

/** A tnetstring-style map: null prototype, byte-string values as Buffers. */
export function tmap(entries: Record<string, unknown>): Record<string, unknown> {
  const o = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(entries)) o[k] = typeof v === 'string' ? Buffer.from(v) : v;
  return o;
}
