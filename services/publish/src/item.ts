/**
 * The one publish item pushpin-publish sends (test-handler.md §2.2), built as a tnetstring
 * value (byte strings as Buffer) and converted to JSON for the HTTP API.
 */

import type { TnValue } from '@pushpin-ts/tnetstring';
import type { PublishArgs } from './args.js';
import { PublishArgsError } from './errors.js';

export type Item = { [key: string]: TnValue };

/**
 * Parses `--code` like Rust's `u16::from_str`.
 * @throws PublishArgsError `failed to parse code: …`.
 */
export function parseCode(text: string): number {
  if (text === '') throw new PublishArgsError('failed to parse code: cannot parse integer from empty string');
  const digits = text.startsWith('+') ? text.slice(1) : text;
  if (!/^[0-9]+$/.test(digits)) throw new PublishArgsError('failed to parse code: invalid digit found in string');
  const n = Number(digits);
  if (n > 65535) throw new PublishArgsError('failed to parse code: number too large to fit in target type');
  return n;
}

function splitPair(text: string, sep: string, error: string): [string, string] {
  const at = text.indexOf(sep);
  if (at < 0) throw new PublishArgsError(error);
  return [text.slice(0, at), text.slice(at + 1).trim()];
}

function parsePatch(content: string): TnValue[] {
  let v: unknown;
  try {
    v = JSON.parse(content);
  } catch (err) {
    throw new PublishArgsError(err instanceof Error ? err.message : String(err));
  }
  if (!Array.isArray(v)) throw new PublishArgsError('patch content must be a JSON array');
  return v as TnValue[];
}

/** Reads `@file` content; injected so the builder stays pure. */
export type ReadFile = (path: string) => Buffer;

/**
 * Builds the item. Precedence: `--hint` beats `--close` beats content.
 * @throws PublishArgsError with Pushpin's messages (`must specify content`,
 *   `code must be an integer between 0 and 999`, `header must be in the form "name: value"`,
 *   `meta must be in the form "name=value"`, `patch content must be a JSON array`,
 *   `can't read file <f>: <reason>`, `failed to parse code: …`).
 * @example buildItem({ ...args, channel: 'test', content: 'hello' }, fs.readFileSync)
 */
export function buildItem(a: PublishArgs, readFile: ReadFile): Item {
  const code = parseCode(a.code);
  const send = !a.hint && !a.close;
  let patch: TnValue[] | undefined;
  if (send) {
    if (code > 999) throw new PublishArgsError('code must be an integer between 0 and 999');
    if (a.content === undefined) throw new PublishArgsError('must specify content');
    if (a.patch) patch = parsePatch(a.content);
  }
  // Pushpin checks headers and meta before reading any @file.
  const headers = a.headers.map((h) => splitPair(h, ':', 'header must be in the form "name: value"'));
  const meta: Item = {};
  if (a.sender) meta['sender'] = a.sender;
  for (const m of a.meta) {
    const [k, v] = splitPair(m, '=', 'meta must be in the form "name=value"');
    meta[k] = v;
  }

  const formats: Item = {};
  if (a.hint) {
    formats['http-response'] = { action: 'hint' };
    formats['http-stream'] = { action: 'hint' };
    formats['ws-message'] = { action: 'hint' };
  } else if (a.close) {
    formats['http-stream'] = { action: 'close' };
    formats['ws-message'] = { action: 'close' };
  } else {
    const content = a.content ?? '';
    const response: Item = { code };
    let http: Buffer | undefined;
    let ws: Buffer | undefined;
    if (patch) {
      response['body-patch'] = patch;
    } else if (content.startsWith('@')) {
      const name = content.slice(1);
      try {
        http = readFile(name);
      } catch (err) {
        throw new PublishArgsError(`can't read file ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      ws = http;
    } else {
      ws = Buffer.from(content, 'utf8');
      http = a.noEol ? ws : Buffer.from(`${content}\n`, 'utf8');
    }
    if (http) response['body'] = http;
    if (headers.length > 0) response['headers'] = headers;
    formats['http-response'] = response;
    if (http && ws) {
      formats['http-stream'] = { content: http };
      formats['ws-message'] = { content: ws };
    }
  }

  const item: Item = { channel: a.channel };
  if (a.id) item['id'] = a.id;
  if (a.prevId) item['prev-id'] = a.prevId;
  if (Object.keys(meta).length > 0) item['meta'] = meta;
  if (a.noSeq) item['no-seq'] = true;
  item['formats'] = formats;
  return item;
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * Converts the item to JSON data. Byte strings become text; a non-UTF-8 `body`/`content`
 * becomes `body-bin`/`content-bin` (base64), as Pushpin's tool does.
 */
export function itemToJson(v: TnValue): unknown {
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (Array.isArray(v)) return v.map(itemToJson);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && !(v instanceof Map)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Item)) {
      if ((k === 'body' || k === 'content') && Buffer.isBuffer(x) && !isUtf8(x)) out[`${k}-bin`] = x.toString('base64');
      else out[k] = itemToJson(x);
    }
    return out;
  }
  return v;
}
