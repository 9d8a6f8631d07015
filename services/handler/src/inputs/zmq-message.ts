/**
 * Decoding of one publish item from a ZeroMQ message part (publish.md §7.1): `J` + JSON,
 * `T` + tnetstring, or a plain tnetstring. Pure.
 */

import { parsePublishItem, PublishFormatError, type PublishItem } from '@pushpin-ts/grip';
import { decode, TnetstringError, type TnValue } from '@pushpin-ts/tnetstring';

export type ZmqItemResult = { ok: true; item: PublishItem } | { ok: false; error: string };

const INVALID = 'received message with invalid format';

function parseJsonObject(bytes: Buffer): { ok: true; value: object } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    return { ok: false, error: `${INVALID} (json parse failed)` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: `${INVALID} (not a valid json object)` };
  }
  return { ok: true, value };
}

/**
 * Decodes and validates one item. `channel` (a SUB message's first part) overrides the
 * item's own channel when non-empty.
 * @returns `{ ok: false, error }` with Pushpin's log text, e.g.
 *   `received message with invalid format (tnetstring parse failed)` or
 *   `received message with invalid format: publish item object does not contain 'channel'`.
 * @example decodeZmqItem(Buffer.from('J{"channel":"a","formats":{"http-stream":{"content":"x"}}}'))
 */
export function decodeZmqItem(msg: Buffer, channel?: string): ZmqItemResult {
  let value: unknown;
  let binary: boolean;
  if (msg.length > 0 && msg[0] === 0x4a /* J */) {
    const r = parseJsonObject(msg.subarray(1));
    if (!r.ok) return r;
    value = r.value;
    binary = false;
  } else {
    const offset = msg.length > 0 && msg[0] === 0x54 /* T */ ? 1 : 0;
    try {
      value = decode(msg.subarray(offset)) as TnValue;
    } catch (err) {
      if (err instanceof TnetstringError) return { ok: false, error: `${INVALID} (tnetstring parse failed)` };
      throw err;
    }
    binary = true;
  }
  try {
    const item = parsePublishItem(value, { binary, ...(channel ? { channelOverride: channel } : {}) });
    return { ok: true, item };
  } catch (err) {
    if (err instanceof PublishFormatError) return { ok: false, error: `${INVALID}: ${err.message}` };
    throw err;
  }
}
