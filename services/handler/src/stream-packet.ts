/**
 * Fast encoder for the one packet the fan-out path sends most: a ZHTTP data packet
 * `{from, id, seq, body, more}`. The body's tnetstring segment is built once per published
 * item and shared by every subscriber; per subscriber only the small header (id, seq) is
 * written, straight into one buffer. Output decodes like `encodePacket` (zhttp.md §2).
 */

const BODY_KEY = '4:body,';
const MORE_TAIL = '4:more,4:true!';

/** `4:body,<n>:<bytes>,` — the body entry of a packet map. */
export function encodeBodySegment(body: Buffer): Buffer {
  const head = `${BODY_KEY}${body.length}:`;
  const out = Buffer.allocUnsafe(head.length + body.length + 1);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  out[out.length - 1] = 0x2c; // ','
  return out;
}

/** `4:from,…,2:id,…,` for one session (latin1 strings): computed once per session. */
export function encodeAddressSegment(from: string, id: string): string {
  return `4:from,${from.length}:${from},2:id,${id.length}:${id},`;
}

/**
 * `T` + tnetstring map of a data packet, using a precomputed address segment
 * (`encodeAddressSegment`) and body segment (`encodeBodySegment`).
 * @example decodePacket(encodeDataPacket(encodeAddressSegment('h', '1'), 3, encodeBodySegment(Buffer.from('x')), true))
 */
export function encodeDataPacket(address: string, seq: number, bodySegment: Buffer, more: boolean): Buffer {
  const seqText = String(seq);
  const head = `${address}3:seq,${seqText.length}:${seqText}#`;
  const tail = more ? MORE_TAIL : '';
  const inner = head.length + bodySegment.length + tail.length;
  const prefix = `T${inner}:`;
  const out = Buffer.allocUnsafe(prefix.length + inner + 1);
  let o = out.write(prefix, 0, 'latin1');
  o += out.write(head, o, 'latin1');
  o += bodySegment.copy(out, o);
  if (tail) o += out.write(tail, o, 'latin1');
  out[o] = 0x7d; // '}'
  return out;
}

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
    list.push({ segs: segs as Buffer[], seg });
    joinedCache.set(last, list);
  }
  return seg;
}
