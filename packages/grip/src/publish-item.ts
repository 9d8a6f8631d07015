/**
 * Publish items (publish.md §1, §6.3): one message for one channel in up to three formats.
 * Accepts JSON values and tnetstring-decoded values (byte strings as Buffer, maps with a
 * null prototype or Map).
 */

import { PublishFormatError } from './errors.js';
import {
  parseHttpResponseFormat, parseHttpStreamFormat, parseWsMessageFormat,
  type HttpResponseFormat, type HttpStreamFormat, type WsMessageFormat,
} from './publish-format.js';
import { asKeyed, FieldReader, parseJsonBytes, setKey, sortedKeys, stringOf, type Keyed } from './value-util.js';

export interface PublishItem {
  channel: string;
  id?: string;
  prevId?: string;
  meta: Record<string, string>;
  noSeq: boolean;
  size?: number;
  formats: {
    httpResponse?: HttpResponseFormat;
    httpStream?: HttpStreamFormat;
    wsMessage?: WsMessageFormat;
  };
}

export interface ParseItemOptions {
  /** True for tnetstring input: `body-bin`/`content-bin` are then ignored for HTTP formats and `content-bin` must be bytes. */
  binary: boolean;
  /** Channel from a SUB message's first part; overrides the item's `channel` when non-empty. */
  channelOverride?: string;
}

const FORMAT_NAMES = ['http-response', 'http-stream', 'ws-message'] as const;

function fail(message: string): never {
  throw new PublishFormatError(message);
}

function formatsOf(item: FieldReader): Keyed {
  const formats = item.object('formats');
  if (formats) return formats;
  // Legacy items carry their formats at the top level.
  const legacy = new Map<string, unknown>();
  for (const name of FORMAT_NAMES) if (item.has(name)) legacy.set(name, item.raw(name));
  return asKeyed(legacy) as Keyed;
}

/**
 * Validates one publish item.
 * @throws PublishFormatError (PP_ERR_PUBLISH_FORMAT) whose message is Pushpin's item error,
 *   e.g. `publish item object does not contain 'channel'`, `no formats specified`, or `''`
 *   for an unknown action.
 * @example parsePublishItem({ channel: 'a', formats: { 'http-stream': { content: 'hi\n' } } }, { binary: false })
 */
export function parsePublishItem(obj: unknown, opts: ParseItemOptions): PublishItem {
  const f: FieldReader = new FieldReader(obj, 'publish item object', fail);
  const channel = opts.channelOverride ? opts.channelOverride : f.string('channel', true);
  const item: PublishItem = { channel, meta: {}, noSeq: false, formats: {} };
  const id = f.string('id');
  if (id !== undefined) item.id = id;
  const prevId = f.string('prev-id');
  if (prevId !== undefined) item.prevId = prevId;

  const formats = formatsOf(f);
  // Only an empty map is rejected; unknown format names alone give an item nobody receives (as in Pushpin).
  if (formats.keys().length === 0) fail('no formats specified');
  if (formats.has('http-response')) item.formats.httpResponse = parseHttpResponseFormat(formats.get('http-response'), opts.binary, fail);
  if (formats.has('http-stream')) item.formats.httpStream = parseHttpStreamFormat(formats.get('http-stream'), opts.binary, fail);
  if (formats.has('ws-message')) item.formats.wsMessage = parseWsMessageFormat(formats.get('ws-message'), opts.binary, fail);

  const meta = f.object('meta');
  if (meta) {
    for (const key of sortedKeys(meta)) {
      const v = stringOf(meta.get(key));
      if (v === undefined) fail(`'meta' contains '${key}' with wrong type`);
      setKey(item.meta, key, v);
    }
  }

  const size = f.int('size', 0);
  if (size !== undefined) item.size = size;

  if (f.has('no-seq')) {
    const v = f.raw('no-seq');
    if (typeof v !== 'boolean') f.wrongType('no-seq');
    item.noSeq = v;
  }
  return item;
}

/**
 * Validates an `{"items": [...]}` object (HTTP body or the command socket's `publish`
 * args), all or nothing.
 * @throws PublishFormatError with the full 400 text without the newline:
 *   `Invalid format: object does not contain 'items'`,
 *   `Invalid format: object contains 'items' with wrong type`, `Invalid format: <item error>`.
 */
export function parsePublishItems(obj: unknown, opts: { binary: boolean }): PublishItem[] {
  const k = asKeyed(obj);
  if (!k) fail('Invalid format.');
  if (!k.has('items')) fail("Invalid format: object does not contain 'items'");
  const items = k.get('items');
  if (!Array.isArray(items)) fail("Invalid format: object contains 'items' with wrong type");
  return items.map((v) => {
    try {
      return parsePublishItem(v, { binary: opts.binary });
    } catch (err) {
      if (err instanceof PublishFormatError) fail(`Invalid format: ${err.message}`);
      throw err;
    }
  });
}

/**
 * Parses the body of `POST /publish/`.
 * @throws PublishFormatError whose message is the 400 body text without its trailing
 *   newline: `Body is not valid JSON.`, `Invalid format.`, or one of {@link parsePublishItems}'.
 * @example parsePublishBody(Buffer.from('{"items":[]}')) // []
 */
export function parsePublishBody(body: Buffer): PublishItem[] {
  const parsed = parseJsonBytes(body);
  if (!parsed.ok) fail('Body is not valid JSON.');
  return parsePublishItems(parsed.value, { binary: false });
}
