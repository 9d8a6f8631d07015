import type { Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import type { Header } from '@pushpin-ts/zhttp';

/**
 * Content decoding as zurl does it (curl with automatic decoding): gzip, deflate and br bodies
 * are decoded, and Content-Encoding / Content-Length no longer describe the body. pushpin-proxy
 * drops Content-Encoding from zurl responses for this reason, so the body must be decoded here.
 */

const DECODABLE: ReadonlySet<string> = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

// Link-level headers: the body we relay is already de-chunked and the connection is ours.
const HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/**
 * Encodings to undo, in the order they must be undone (last applied first), or undefined when
 * the body is not encoded or uses an encoding we cannot decode (then it is relayed as is).
 *
 * @example encodingsToUndo([['Content-Encoding', 'gzip, br']]) // ['br', 'gzip']
 */
export function encodingsToUndo(headers: readonly Header[]): string[] | undefined {
  const list: string[] = [];
  for (const [n, v] of headers) {
    if (n.toLowerCase() !== 'content-encoding') continue;
    for (const e of v.split(',')) {
      const x = e.trim().toLowerCase();
      if (x && x !== 'identity') list.push(x);
    }
  }
  if (!list.length || !list.every((e) => DECODABLE.has(e))) return undefined;
  return list.reverse();
}

/**
 * Response headers to relay: hop-by-hop ones removed, and Content-Encoding/Content-Length
 * removed when the body gets decoded. Order, case and duplicates are kept.
 */
export function relayedResponseHeaders(headers: readonly Header[], decoded: boolean): Header[] {
  return headers.filter(([n]) => {
    const lower = n.toLowerCase();
    if (HOP_BY_HOP.has(lower)) return false;
    if (decoded && (lower === 'content-encoding' || lower === 'content-length')) return false;
    return true;
  });
}

export interface DecoderEvents {
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error): void;
}

/** Streams a body through the decoders for `encodings` (as returned by {@link encodingsToUndo}). */
export class ResponseDecoder {
  private chain: Transform[] = [];
  private first: Transform | undefined;
  private last: Transform | undefined;
  private failed = false;
  private paused = false;

  constructor(private readonly encodings: readonly string[], private readonly ev: DecoderEvents) {}

  // deflate may come with or without the zlib header; the first byte tells (RFC 1950 CMF)
  private build(firstByte: number): void {
    const opts = { finishFlush: constants.Z_SYNC_FLUSH };
    const chain = this.encodings.map((e): Transform => {
      if (e === 'br') return createBrotliDecompress({ finishFlush: constants.BROTLI_OPERATION_FLUSH });
      if (e === 'deflate') return (firstByte & 0x0f) === 8 ? createInflate(opts) : createInflateRaw(opts);
      return createGunzip(opts);
    });
    for (let k = 0; k < chain.length; k++) {
      chain[k]!.on('error', (err: Error) => this.fail(err));
      if (k > 0) chain[k - 1]!.pipe(chain[k]!);
    }
    this.chain = chain;
    this.first = chain[0]!;
    this.last = chain[chain.length - 1]!;
    this.last.on('data', (d: Buffer) => { if (!this.failed) this.ev.onData(d); });
    this.last.on('end', () => { if (!this.failed) this.ev.onEnd(); });
    if (this.paused) this.last.pause();
  }

  write(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (!this.first) this.build(chunk[0]!);
    this.first!.write(chunk);
  }

  end(): void {
    if (this.failed) return;
    if (!this.first) { this.ev.onEnd(); return; }
    this.first.end();
  }

  pause(): void { this.paused = true; this.last?.pause(); }
  resume(): void { this.paused = false; this.last?.resume(); }

  destroy(): void {
    this.failed = true;
    for (const t of this.chain) t.destroy();
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.destroy();
    this.ev.onError(err);
  }
}
