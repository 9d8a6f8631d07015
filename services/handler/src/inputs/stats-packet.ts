/**
 * Decoding of one packet from the proxy's stats socket (architecture.md §2.4): a single frame
 * `<type> T<tnetstring map>` or `<type> J<json object>`. Pure.
 */

import { decodeMap, TnetstringError, toPlain } from '@pushpin-ts/tnetstring';

export type StatsPacketResult =
  | { ok: true; type: string; fields: Record<string, unknown> }
  | { ok: false; error: string };

const TYPE = /^[A-Za-z0-9_-]+$/;

/**
 * @returns the type and the fields (byte strings as UTF-8 text), or `{ ok: false, error }`
 *   naming what is wrong: `no type`, `unknown payload format`, `tnetstring parse failed`,
 *   `json parse failed`, `payload is not a map`.
 * @example decodeStatsPacket(Buffer.from('activity J{"count":2,"from":"p"}'))
 *   // { ok: true, type: 'activity', fields: { count: 2, from: 'p' } }
 */
export function decodeStatsPacket(frame: Buffer): StatsPacketResult {
  const sp = frame.indexOf(0x20);
  if (sp <= 0) return { ok: false, error: 'no type' };
  const type = frame.subarray(0, sp).toString('latin1');
  if (!TYPE.test(type)) return { ok: false, error: 'no type' };
  const tag = frame[sp + 1];
  const payload = frame.subarray(sp + 2);
  if (tag === 0x54 /* T */) {
    try {
      return { ok: true, type, fields: toPlain(decodeMap(payload)) as Record<string, unknown> };
    } catch (err) {
      if (err instanceof TnetstringError) return { ok: false, error: 'tnetstring parse failed' };
      throw err;
    }
  }
  if (tag === 0x4a /* J */) {
    let v: unknown;
    try {
      v = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(payload));
    } catch {
      return { ok: false, error: 'json parse failed' };
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, error: 'payload is not a map' };
    return { ok: true, type, fields: v as Record<string, unknown> };
  }
  return { ok: false, error: 'unknown payload format' };
}
