/**
 * RFC 6902 JSON Patch over plain JSON values, and the `body-patch` rule of publish.md §1.2.
 */

import { JsonPatchError } from './errors.js';
import { asKeyed, isBytes, parseJsonBytes, stringOf } from './value-util.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function fail(message: string): never {
  throw new JsonPatchError(message);
}

/** Converts tnetstring-style values (bytes, null-prototype maps, Map, bigint) to plain JSON values. */
export function toJsonValue(v: unknown): Json {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (isBytes(v)) return stringOf(v) ?? '';
  if (Array.isArray(v)) return v.map(toJsonValue);
  const k = asKeyed(v);
  if (k) {
    const out: { [key: string]: Json } = {};
    for (const key of k.keys()) {
      Object.defineProperty(out, key, { value: toJsonValue(k.get(key)), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (v !== null && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'number') {
    return (v as { value: number }).value;
  }
  return null;
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) fail(`invalid pointer: ${path}`);
  return path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function arrayIndex(token: string, length: number, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) fail(`invalid array index: ${token}`);
  const i = Number(token);
  if (i > length || (!allowEnd && i === length)) fail('location does not exist');
  return i;
}

function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

// Walks to the parent of the pointer's target.
function resolveParent(doc: Json, tokens: string[]): { parent: Json; last: string } {
  let cur: Json = doc;
  for (let i = 0; i < tokens.length - 1; ++i) {
    const t = tokens[i] as string;
    if (Array.isArray(cur)) cur = cur[arrayIndex(t, cur.length, false)] as Json;
    else if (isObject(cur) && hasOwn(cur, t)) cur = cur[t] as Json;
    else fail('location does not exist');
  }
  return { parent: cur, last: tokens[tokens.length - 1] as string };
}

function getAt(doc: Json, tokens: string[]): Json {
  if (tokens.length === 0) return doc;
  const { parent, last } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) return parent[arrayIndex(last, parent.length, false)] as Json;
  if (isObject(parent) && hasOwn(parent, last)) return parent[last] as Json;
  return fail('location does not exist');
}

function setKey(o: { [k: string]: Json }, k: string, v: Json): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

// Returns the new document (the root may be replaced).
function addAt(doc: Json, tokens: string[], value: Json): Json {
  if (tokens.length === 0) return value;
  const { parent, last } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isObject(parent)) setKey(parent, last, value);
  else fail('location does not exist');
  return doc;
}

function removeAt(doc: Json, tokens: string[]): { doc: Json; removed: Json } {
  if (tokens.length === 0) return { doc: null, removed: doc };
  const { parent, last } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) {
    const [removed] = parent.splice(arrayIndex(last, parent.length, false), 1);
    return { doc, removed: removed as Json };
  }
  if (isObject(parent) && hasOwn(parent, last)) {
    const removed = parent[last] as Json;
    delete parent[last];
    return { doc, removed };
  }
  return fail('location does not exist');
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i] as Json));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => hasOwn(b, k) && deepEqual(a[k] as Json, b[k] as Json));
  }
  return false;
}

function clone(v: Json): Json {
  return v === null || typeof v !== 'object' ? v : (JSON.parse(JSON.stringify(v)) as Json);
}

/**
 * Applies RFC 6902 operations (add, remove, replace, move, copy, test) to a copy of `doc`.
 * @throws JsonPatchError (PP_ERR_JSON_PATCH_FAILED), e.g. `location does not exist`,
 *   `tested values are not equal`, `unsupported op: x`.
 * @example applyJsonPatch({ a: 1 }, [{ op: 'replace', path: '/a', value: 2 }]) // { a: 2 }
 */
export function applyJsonPatch(doc: unknown, patch: unknown[]): unknown {
  let out = clone(toJsonValue(doc));
  for (const rawOp of patch) {
    const op = asKeyed(rawOp);
    if (!op) fail('invalid op');
    const str = (key: string): string => {
      if (!op.has(key)) fail(`op does not contain '${key}'`);
      return stringOf(op.get(key)) ?? fail(`op contains '${key}' with wrong type`);
    };
    const value = (): Json => {
      if (!op.has('value')) fail("op does not contain 'value'");
      return clone(toJsonValue(op.get('value')));
    };
    const type = str('op');
    const path = parsePointer(str('path'));
    switch (type) {
      case 'add':
        out = addAt(out, path, value());
        break;
      case 'remove':
        out = removeAt(out, path).doc;
        break;
      case 'replace': {
        const v = value();
        getAt(out, path);
        out = addAt(removeAt(out, path).doc, path, v);
        break;
      }
      case 'move': {
        const fromStr = str('from');
        const from = parsePointer(fromStr);
        if (path.length > from.length && from.every((t, i) => path[i] === t)) fail('cannot move location into itself');
        const r = removeAt(out, from);
        out = addAt(r.doc, path, r.removed);
        break;
      }
      case 'copy': {
        const from = parsePointer(str('from'));
        out = addAt(out, path, clone(getAt(out, from)));
        break;
      }
      case 'test':
        if (!deepEqual(getAt(out, path), value())) fail('tested values are not equal');
        break;
      default:
        fail(`unsupported op: ${type}`);
    }
  }
  return out;
}

// Compact JSON with object keys sorted, as QJsonDocument writes it.
function stringifySorted(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(stringifySorted).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stringifySorted(v[k] as Json)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Pushpin's `body-patch`: patches the held response body (a JSON object or array) and
 * serialises it compactly with sorted keys, keeping a trailing `\r\n` or `\n`. If the body
 * is not a JSON object/array or the patch fails, the result is an empty body. Never throws.
 * @example applyBodyPatch(Buffer.from('{"a":1}\n'), [{ op: 'add', path: '/b', value: 2 }]) // '{"a":1,"b":2}\n'
 */
export function applyBodyPatch(body: Buffer, patch: unknown[]): Buffer {
  const parsed = parseJsonBytes(body);
  if (!parsed.ok || parsed.value === null || typeof parsed.value !== 'object') return Buffer.alloc(0);
  let result: Json;
  try {
    result = applyJsonPatch(parsed.value, patch) as Json;
  } catch {
    return Buffer.alloc(0);
  }
  if (result === null || typeof result !== 'object') return Buffer.alloc(0);
  let text = stringifySorted(result);
  if (body.subarray(-2).toString('latin1') === '\r\n') text += '\r\n';
  else if (body.subarray(-1).toString('latin1') === '\n') text += '\n';
  return Buffer.from(text, 'utf8');
}
