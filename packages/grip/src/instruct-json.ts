/**
 * The application/grip-instruct JSON body (grip.md §6), applied on top of what the
 * `Grip-*` headers produced.
 */

import { stripInstructHeaders } from './header-params.js';
import type { Instruct, InstructChannel } from './instruct.js';
import {
  asKeyed, FieldReader, fromBase64, parseHeadersField, parseJsonBytes, parseStringList, sortedKeys, setKey,
  stringOf, type Fail,
} from './value-util.js';

const MAX_FILTERS = 5;

function parseChannel(v: unknown, fail: Fail): InstructChannel {
  const f: FieldReader = new FieldReader(v, 'channel', fail);
  const c: InstructChannel = { name: f.string('name', true), filters: [] };
  const prevId = f.string('prev-id');
  if (prevId) c.prevId = prevId;
  const filters = f.list('filters');
  if (filters) c.filters = parseStringList(filters, 'filters contains value with wrong type', fail);
  // Pushpin only checks this for headers (and asserts later); report it the same way here.
  if (c.filters.length > MAX_FILTERS) fail(`too many filters for channel '${c.name}'`);
  return c;
}

function applyHold(vhold: unknown, out: Instruct, fail: Fail): number | undefined {
  const h: FieldReader = new FieldReader(vhold, 'hold', fail);
  const mode = h.string('mode');
  if (mode === undefined || mode === 'response') out.hold = 'response';
  else if (mode === 'stream') out.hold = 'stream';
  else fail("hold 'mode' must be set to either 'response' or 'stream'");

  for (const vc of h.list('channels', true)) out.channels.push(parseChannel(vc, fail));

  const timeout = h.int('timeout', 0);

  const vka = h.object('keep-alive');
  if (vka) {
    const k: FieldReader = new FieldReader(h.raw('keep-alive'), 'keep-alive', fail);
    let data = out.keepAlive?.data ?? Buffer.alloc(0);
    if (k.has('content-bin')) data = fromBase64(k.string('content-bin') ?? '');
    else if (k.has('content')) data = k.bytes('content') ?? data;
    const t = k.int('timeout', 0) ?? 55;
    // JSON keep-alive sets no mode; Pushpin's "no mode" behaves like interval (re-armed only after firing).
    out.keepAlive = { data, timeout: t, mode: out.keepAlive?.mode ?? 'interval' };
  }

  const meta = h.object('meta');
  if (meta) {
    for (const key of sortedKeys(meta)) {
      const val = stringOf(meta.get(key));
      if (val === undefined) fail(`'meta' contains '${key}' with wrong type`);
      setKey(out.meta, key, val);
    }
  }
  return timeout;
}

function applyResponse(vresp: unknown, out: Instruct, fail: Fail): void {
  // Pushpin fails here without a message; name the problem like the other type errors.
  if (!asKeyed(vresp)) fail("instruct contains 'response' with wrong type");
  const r: FieldReader = new FieldReader(vresp, 'response', fail);
  const res = out.response;
  const code = r.int('code', 0, 999);
  if (code !== undefined) {
    res.code = code;
    res.reason = ''; // a JSON code drops the backend's reason; the default phrase is filled in later
  }
  const reason = r.string('reason');
  if (reason) res.reason = reason;
  if (r.has('headers')) {
    res.headers = stripInstructHeaders(parseHeadersField(r.raw('headers'), 'response', fail));
  }
  if (r.has('body-bin')) res.body = fromBase64(r.string('body-bin') ?? '');
  else if (r.has('body')) res.body = r.bytes('body') ?? Buffer.alloc(0);
}

/**
 * Applies an application/grip-instruct body to `out` (mutated). Returns the JSON hold
 * timeout when one was given.
 */
export function applyJsonInstruct(body: Buffer, out: Instruct, fail: Fail): { timeout?: number } {
  const parsed = parseJsonBytes(body);
  if (!parsed.ok) fail('failed to parse application/grip-instruct content as JSON');
  if (!asKeyed(parsed.value)) fail('instruct must be an object');
  const inst: FieldReader = new FieldReader(parsed.value, 'instruct', fail);

  let timeout: number | undefined;
  if (inst.object('hold')) {
    timeout = applyHold(inst.raw('hold'), out, fail);
  }

  // The JSON form discards the HTTP response's own headers and body.
  out.response.headers = [];
  out.response.body = Buffer.alloc(0);
  if (inst.has('response')) applyResponse(inst.raw('response'), out, fail);

  return timeout !== undefined ? { timeout } : {};
}
