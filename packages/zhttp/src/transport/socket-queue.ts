import type { Writable, Socket } from 'zeromq';

type Msg = Buffer | Buffer[];

/**
 * Serialises sends on one zeromq socket (zeromq.js forbids concurrent `send` calls) and
 * drains the backlog in one loop, so bursts cost one promise chain instead of one per message.
 * The backlog is bounded: past `limit` messages, new ones are dropped and counted.
 *
 * A socket with `sendTimeout: 0` never waits (zeromq.js then hands every message to libzmq
 * synchronously, and a full PUB drops as libzmq does anyway): pass `immediate` and each
 * message goes out inside `send()`, with no promise hop and no backlog.
 */
export class SendQueue {
  private queue: Msg[] = [];
  private head = 0;
  private running = false;
  dropped = 0;

  constructor(
    private readonly sock: Writable & Socket,
    private readonly onError: (err: unknown, msg: Msg) => void,
    private readonly limit = 1_000_000,
    private readonly immediate = false,
  ) {}

  get length(): number { return this.queue.length - this.head; }

  send(msg: Msg): void {
    if (this.immediate && !this.running) {
      if (this.sock.closed) return;
      try {
        this.sock.send(msg).catch((err: unknown) => this.onError(err, msg));
      } catch (err) {
        this.onError(err, msg);
      }
      return;
    }
    if (this.length >= this.limit) { this.dropped++; return; }
    this.queue.push(msg);
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.head < this.queue.length) {
        const msg = this.queue[this.head]!;
        this.head++;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        if (this.sock.closed) { this.queue = []; this.head = 0; break; }
        try {
          await this.sock.send(msg);
        } catch (err) {
          this.onError(err, msg);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
