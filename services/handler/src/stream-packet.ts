/**
 * The fan-out path's data packets: the encoders live in @pushpin-ts/zhttp (codec/data-packet.ts);
 * here, the joined body segments of items a session queued together.
 */

import { encodeBodySegment } from '@pushpin-ts/zhttp';

export { encodeAddressSegment, encodeBodySegment, encodeAddressedDataPacket as encodeDataPacket } from '@pushpin-ts/zhttp';

interface Joined { segs: readonly Buffer[]; seg: Buffer }
/** Joined segments by their last part, so sessions that queued the same items share one. */
const joinedCache = new WeakMap<Buffer, Joined[]>();
const JOINED_PER_KEY = 8;

/**
 * Body segment of several items' contents sent as one chunk. Sessions that got the same
 * items (same prepared segments, in the same order) get the same Buffer back, which lets the
 * fan-out merge their packets (multi-id). `segs[i]` is the prepared segment of `parts[i]`.
 */
export function joinedSegment(parts: readonly Buffer[], segs: ReadonlyArray<Buffer | undefined>, total: number): Buffer {
  const last = segs[segs.length - 1];
  const shareable = last !== undefined && segs.every((x) => x !== undefined);
  if (shareable) {
    const list = joinedCache.get(last);
    if (list) {
      for (const j of list) {
        if (j.segs.length === segs.length && j.segs.every((x, i) => x === segs[i])) return j.seg;
      }
    }
  }
  const seg = encodeBodySegment(Buffer.concat(parts as Buffer[], total));
  if (shareable) {
    const list = joinedCache.get(last) ?? [];
    if (list.length >= JOINED_PER_KEY) list.shift();
    // a copy: the caller reuses its arrays
    list.push({ segs: segs.slice() as Buffer[], seg });
    joinedCache.set(last, list);
  }
  return seg;
}
