/**
 * Fast encoders for the data packets the fan-out path sends most (zhttp.md §2, §6). A body
 * segment (`4:body,<n>:<bytes>,`) is built once per published item and shared; per packet
 * only the small address part is written. Output decodes like `encodePacket`.
 */

const MORE_TAIL = '4:more,4:true!';
const EXT_MULTI = '3:ext,15:5:multi,4:true!}';

/** `4:body,<n>:<bytes>,` — the body entry of a packet map. */
export function encodeBodySegment(body: Buffer): Buffer {
  const head = `4:body,${body.length}:`;
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
 * `T` + a data packet `{from, id, seq, body, more}` for one session.
 * @example decodePacket(encodeDataPacket('h', 'a', 3, encodeBodySegment(Buffer.from('x')), true))
 */
export function encodeDataPacket(from: string, id: string, seq: number, bodySegment: Buffer, more: boolean): Buffer {
  return encodeAddressedDataPacket(encodeAddressSegment(from, id), seq, bodySegment, more);
}

/**
 * The same with a precomputed address segment (`encodeAddressSegment`), for a session that
 * sends many packets.
 * @example decodePacket(encodeAddressedDataPacket(encodeAddressSegment('h', '1'), 3, encodeBodySegment(Buffer.from('x')), true))
 */
export function encodeAddressedDataPacket(address: string, seq: number, bodySegment: Buffer, more: boolean): Buffer {
  const seqText = String(seq);
  return assemble(`${address}3:seq,${seqText.length}:${seqText}#`, bodySegment, more);
}

function assemble(head: string, bodySegment: Buffer, more: boolean): Buffer {
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

/** One session addressed by a multi-id packet. */
export interface MultiTarget { id: string; seq: number }

function entry(t: MultiTarget): string {
  const seq = String(t.seq);
  const inner = `2:id,${t.id.length}:${t.id},3:seq,${seq.length}:${seq}#`;
  return `${inner.length}:${inner}}`;
}

/**
 * `T` + a data packet addressed to several sessions at once (multi-id form, zhttp.md §6),
 * carrying `ext.multi`, the shared body segment and `more`. Ids and `from` are latin1.
 * @example decodePacket(encodeMultiDataPacket('h', [{ id: 'a', seq: 1 }, { id: 'b', seq: 4 }], encodeBodySegment(Buffer.from('x')), true))
 */
export function encodeMultiDataPacket(from: string, targets: readonly MultiTarget[], bodySegment: Buffer, more: boolean): Buffer {
  let list = '';
  for (const t of targets) list += entry(t);
  return assemble(`4:from,${from.length}:${from},2:id,${list.length}:${list}]${EXT_MULTI}`, bodySegment, more);
}
