import type { TnValue } from './value.js';

/** Converts a decoded value to plain JSON-like data (byte strings become UTF-8 text). For logs and tests. */
export function toPlain(v: TnValue): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (Array.isArray(v)) return v.map(toPlain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, toPlain(x)]));
  if (v !== null && typeof v === 'object' && !(typeof (v as { value?: unknown }).value === 'number')) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x as TnValue)]));
  }
  if (v !== null && typeof v === 'object') return (v as { value: number }).value;
  return v;
}
