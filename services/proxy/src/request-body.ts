/**
 * The client's request body as it arrives: counts every byte and keeps a copy of the first
 * `limit` bytes, enough to replay it to the next target or hand it to the handler
 * (grip.md §2.7: up to 100 000 bytes are buffered).
 */
export class RequestBody {
  private chunks: Buffer[] = [];
  private keptBytes = 0;
  /** Bytes received so far. */
  total = 0;
  /** The client sent its last body packet. */
  done = false;
  /** More than `limit` bytes arrived: the copy is incomplete and was dropped. */
  overflow = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer, more: boolean): void {
    this.total += chunk.length;
    if (!more) this.done = true;
    if (this.overflow || chunk.length === 0) return;
    if (this.keptBytes + chunk.length > this.limit) {
      this.overflow = true;
      this.chunks = [];
      this.keptBytes = 0;
      return;
    }
    this.chunks.push(chunk);
    this.keptBytes += chunk.length;
  }

  /** The whole body received so far; only meaningful while `!overflow`. */
  copy(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }
}
