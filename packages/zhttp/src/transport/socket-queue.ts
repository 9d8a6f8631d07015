import type { Writable, Socket } from 'zeromq';

type Msg = Buffer | Buffer[];

/**
 * Sends on one zeromq socket without a promise hop per message, in order, never dropping
 * silently.
 *
 * Fast path: while nothing is backlogged and libzmq reports the socket writable (ZMQ_POLLOUT),
 * a message is handed to libzmq inside `send()`: the socket runs with `sendTimeout: 0`, so
 * zeromq.js sends synchronously (ZMQ_DONTWAIT) instead of going through its poller. For PUSH
 * and DEALER, POLLOUT means some peer pipe has room, so that send cannot fail with EAGAIN; a
 * ROUTER (POLLOUT = any pipe has room) may still reject one message for a full or unknown peer,
 * which reaches `onError` as before.
 *
 * Slow path: when the socket is not writable the message joins an ordered backlog, and every
 * later message queues behind it. The backlog is drained with awaited sends using the socket's
 * own send timeout (as configured by the owner before the first send: -1 = wait, n = give up
 * after n ms), falling back to synchronous sends as soon as the socket is writable again.
 * An owner that configured `sendTimeout: 0` wants "fail at once when nobody can take it":
 * such a socket never backlogs, the send is attempted and its EAGAIN goes to `onError`.
 *
 * Past `limit` backlogged messages a new one is refused: counted in `dropped` and reported to
 * `onError`. `immediate` (PUB, which never blocks: libzmq drops at the HWM itself) skips the
 * writable check.
 */
export class SendQueue {
  private queue: Msg[] = [];
  private head = 0;
  private running = false;
  /** Send timeout the owner configured, read at the first send; undefined until then. */
  private waitTimeout: number | undefined;
  private readonly onReject: (err: unknown) => void;
  dropped = 0;

  constructor(
    private readonly sock: Writable & Socket,
    private readonly onError: (err: unknown, msg: Msg) => void,
    private readonly limit = 1_000_000,
    private readonly immediate = false,
    /** onError needs the message (e.g. a ROUTER's peer): one closure per send instead of a shared handler. */
    private readonly errorNeedsMsg = false,
  ) {
    this.onReject = (err) => this.onError(err, EMPTY_MSG);
  }

  get length(): number { return this.queue.length - this.head; }

  send(msg: Msg): void {
    if (this.running) { this.enqueue(msg); return; }
    if (this.sock.closed) return;
    const wait = this.waitTimeout ?? this.init();
    if (this.immediate || wait === 0 || this.sock.writable) { this.sendNow(msg); return; }
    this.enqueue(msg);
    void this.drain();
  }

  private init(): number {
    const t = this.sock.sendTimeout;
    this.waitTimeout = t;
    if (t !== 0) this.sock.sendTimeout = 0;
    return t;
  }

  /** Synchronous send (sendTimeout is 0 here); a failure arrives as a rejection or a throw. */
  private sendNow(msg: Msg): void {
    try {
      const p = this.sock.send(msg);
      if (this.errorNeedsMsg) p.catch((err: unknown) => this.onError(err, msg));
      else p.catch(this.onReject);
    } catch (err) {
      this.onError(err, msg);
    }
  }

  private enqueue(msg: Msg): void {
    if (this.length >= this.limit) {
      this.dropped++;
      this.onError(new Error(`send backlog full (${this.limit} messages): message dropped`), msg);
      return;
    }
    this.queue.push(msg);
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      while (this.head < this.queue.length) {
        if (this.sock.closed) { this.queue = []; this.head = 0; break; }
        const msg = this.queue[this.head]!;
        this.head++;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        if (this.sock.writable) { this.sendNow(msg); continue; }
        this.sock.sendTimeout = this.waitTimeout!;
        try {
          await this.sock.send(msg);
        } catch (err) {
          this.onError(err, msg);
        } finally {
          if (!this.sock.closed) this.sock.sendTimeout = 0;
        }
      }
      if (this.head === this.queue.length) { this.queue = []; this.head = 0; }
    } finally {
      this.running = false;
    }
  }
}

const EMPTY_MSG: Buffer[] = [];
