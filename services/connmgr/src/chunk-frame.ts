/**
 * Chunked transfer-encoding frames for uWS's raw header writer, which emits
 * `name: value\r\n`. The `: ` lands inside a quoted chunk extension (RFC 9112 §7.1.1, ignored
 * by recipients): `<hex>;p=": "\r\n<data>\r\n`. Pure: no uWS here.
 */

/** One chunk as the two arguments of `writeHeader`. */
export interface ChunkFrame { readonly name: string; readonly value: Buffer | string }

const HEAD_END = 0x22; // '"'
const CR = 0x0d;
const LF = 0x0a;

/** The last-chunk line (`0;p=": "\r\n`), before the trailer section. */
export const LAST_CHUNK: ChunkFrame = { name: '0;p="', value: '"' };

/** Frames `data` (one buffer, or several written as one chunk). */
export function chunkFrame(data: Buffer | readonly Buffer[]): ChunkFrame {
  const parts = Buffer.isBuffer(data) ? [data] : data;
  // the length is always what the parts hold: a caller's running total that went wrong
  // would otherwise send uninitialised bytes to the client
  let n = 0;
  for (const p of parts) n += p.length;
  if (n === 0) return LAST_CHUNK;
  const value = Buffer.allocUnsafe(3 + n);
  value[0] = HEAD_END; value[1] = CR; value[2] = LF;
  let at = 3;
  for (const p of parts) { p.copy(value, at); at += p.length; }
  return { name: `${n.toString(16)};p="`, value };
}

/**
 * Remembers the frame of the last single body framed: a multi-id packet hands the same body
 * buffer to every addressed session in a row, so the frame is built once per packet.
 */
export class ChunkFrameCache {
  private body: Buffer | undefined;
  private frame: ChunkFrame = LAST_CHUNK;
  hits = 0;

  of(body: Buffer): ChunkFrame {
    if (body === this.body) { this.hits++; return this.frame; }
    this.body = body;
    this.frame = chunkFrame(body);
    return this.frame;
  }
}
