/**
 * Publish item formats (publish.md §1.2–§1.5): `http-response`, `http-stream`, `ws-message`.
 */

import type { HeaderList } from './header-params.js';
import { statusReason } from './status-reasons.js';
import { FieldReader, fromBase64, isBytes, parseHeadersField, parseStringList, type Fail } from './value-util.js';

export interface HttpResponseFormat {
  action: 'send' | 'hint' | 'close' | 'refresh';
  /** 200 unless given; meaningful for `send`. */
  code: number;
  reason: string;
  headers: HeaderList;
  body?: Buffer;
  /** RFC 6902 operations to apply to the held response body (see `applyBodyPatch`). */
  bodyPatch?: unknown[];
  contentFilters?: string[];
}

export interface HttpStreamFormat {
  action: 'send' | 'close' | 'hint';
  /** Empty for actions other than `send`. */
  content: Buffer;
  contentFilters?: string[];
}

export type WsMessageType = 'text' | 'binary' | 'ping' | 'pong';

export interface WsMessageFormat {
  action: 'send' | 'close' | 'hint' | 'refresh';
  type: WsMessageType;
  content: Buffer;
  /** `close` only. */
  code?: number;
  /** `close` only. */
  reason?: string;
  contentFilters?: string[];
}

type Action = 'send' | 'hint' | 'close' | 'refresh';

function parseAction(f: FieldReader): Action {
  const a = f.string('action');
  if (a === undefined || a === 'send') return 'send';
  if (a === 'hint' || a === 'close' || a === 'refresh') return a;
  // Pushpin rejects an unknown action without any message (HTTP body "Invalid format: ").
  return f.fail('');
}

function parseContentFilters(f: FieldReader): string[] | undefined {
  const list = f.list('content-filters');
  return list && parseStringList(list, 'content-filters contains element with wrong type', f.fail);
}

/** `binary` = tnetstring input: `*-bin` fields are JSON-only here. */
export function parseHttpResponseFormat(v: unknown, binary: boolean, fail: Fail): HttpResponseFormat {
  const f: FieldReader = new FieldReader(v, "'http-response'", fail);
  const action = parseAction(f);
  const out: HttpResponseFormat = { action, code: 200, reason: statusReason(200), headers: [] };
  if (action !== 'send') return out;

  out.code = f.int('code', 0, 999) ?? 200;
  out.reason = f.string('reason') || statusReason(out.code);
  if (f.has('headers')) out.headers = parseHeadersField(f.raw('headers'), f.pn, fail);
  const cf = parseContentFilters(f);
  if (cf) out.contentFilters = cf;

  if (!binary && f.has('body-bin')) out.body = fromBase64(f.string('body-bin') ?? '');
  else if (f.has('body')) out.body = f.bytes('body');
  else if (f.has('body-patch')) out.bodyPatch = f.list('body-patch');
  else if (!binary) fail(`${f.pn} does not contain 'body', 'body-bin', or 'body-patch'`);
  else fail(`${f.pn} does not contain 'body' or 'body-patch'`);
  return out;
}

export function parseHttpStreamFormat(v: unknown, binary: boolean, fail: Fail): HttpStreamFormat {
  const f: FieldReader = new FieldReader(v, "'http-stream'", fail);
  const action = parseAction(f);
  // `refresh` parses but means nothing for HTTP streams: an empty send writes nothing.
  if (action === 'refresh') return { action: 'send', content: Buffer.alloc(0) };
  const out: HttpStreamFormat = { action, content: Buffer.alloc(0) };
  if (action !== 'send') return out;

  const cf = parseContentFilters(f);
  if (cf) out.contentFilters = cf;
  if (!binary && f.has('content-bin')) out.content = fromBase64(f.string('content-bin') ?? '');
  else if (f.has('content')) out.content = f.bytes('content') ?? Buffer.alloc(0);
  else if (!binary) fail(`${f.pn} does not contain 'content' or 'content-bin'`);
  else fail(`${f.pn} does not contain 'content'`);
  return out;
}

export function parseWsMessageFormat(v: unknown, binary: boolean, fail: Fail): WsMessageFormat {
  const f: FieldReader = new FieldReader(v, "'ws-message'", fail);
  const action = parseAction(f);
  const out: WsMessageFormat = { action, type: 'text', content: Buffer.alloc(0) };

  if (action === 'send') {
    const t = f.string('type');
    let type: WsMessageType | undefined;
    if (t !== undefined) {
      if (t === 'text' || t === 'binary' || t === 'ping' || t === 'pong') type = t;
      else fail(`${f.pn} contains 'type' with unknown value`);
    }
    const cf = parseContentFilters(f);
    if (cf) out.contentFilters = cf;

    if (f.has('content-bin')) {
      const raw = f.raw('content-bin');
      if (!binary) {
        if (typeof raw !== 'string') f.wrongType('content-bin');
        out.content = fromBase64(raw);
      } else {
        if (!isBytes(raw)) f.wrongType('content-bin');
        out.content = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      }
      type ??= 'binary';
    } else if (f.has('content')) {
      out.content = f.bytes('content') ?? Buffer.alloc(0);
      type ??= 'text';
    } else if (type === undefined || type === 'text' || type === 'binary') {
      fail(`${f.pn} does not contain 'content' or 'content-bin'`);
    }
    out.type = type;
  } else if (action === 'close') {
    const code = f.int('code', 0);
    if (code !== undefined) out.code = code;
    const reason = f.string('reason');
    if (reason) out.reason = reason;
  }
  return out;
}
