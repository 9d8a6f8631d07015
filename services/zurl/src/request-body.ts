import { Readable } from 'node:stream';

/**
 * Request body arriving in ZHTTP data packets, exposed as a Readable for the outbound request.
 * Credits are granted back to the initiator for bytes the consumer has taken: immediately while
 * the stream's buffer is below its high-water mark, otherwise when the consumer reads again.
 * That keeps the bytes held here bounded by the credit window plus the high-water mark.
 */
export class RequestBodyFeed {
  readonly stream: Readable;
  private owed = 0;
  private ended = false;

  constructor(private readonly grant: (n: number) => void, highWaterMark: number) {
    this.stream = new Readable({ highWaterMark, read: () => this.flushCredits() });
  }

  /** The last body packet (no `more`) arrived. */
  get complete(): boolean { return this.ended; }

  /**
   * Adds body bytes. `credited` is false for the first packet's body (sent without credits,
   * zhttp.md §4.2), so it is not granted back.
   */
  push(chunk: Buffer, more: boolean, credited = true): void {
    if (this.ended || this.stream.destroyed) return;
    if (chunk.length) {
      if (credited) this.owed += chunk.length;
      if (this.stream.push(chunk)) this.flushCredits();
    }
    if (!more) {
      this.ended = true;
      this.stream.push(null);
    }
  }

  private flushCredits(): void {
    if (this.owed > 0 && !this.ended && !this.stream.destroyed) {
      const n = this.owed;
      this.owed = 0;
      this.grant(n);
    }
  }

  destroy(): void {
    this.ended = true;
    if (!this.stream.destroyed) this.stream.destroy();
  }
}
