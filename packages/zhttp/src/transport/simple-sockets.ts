import * as zmq from 'zeromq';
import { attach } from './endpoints.js';
import { SendQueue } from './socket-queue.js';
import type { TransportLog } from './zhttp-sockets.js';

export type Frames = Buffer[];

interface Common { specs: readonly string[]; bind: boolean; ipcFileMode?: number }

function endpointOpts(o: Common) { return { bind: o.bind, ...(o.ipcFileMode !== undefined ? { ipcFileMode: o.ipcFileMode } : {}) }; }

/** One-way sender (PUSH or PUB) with a serialised send queue. */
export class Sender {
  readonly sock: zmq.Push | zmq.Publisher;
  private readonly q: SendQueue;
  constructor(kind: 'push' | 'pub', private readonly o: Common, log: TransportLog, hwm = 101_000) {
    this.sock = kind === 'push' ? new zmq.Push({ sendHighWaterMark: hwm, linger: 0 }) : new zmq.Publisher({ sendHighWaterMark: hwm, linger: 0 });
    this.q = new SendQueue(this.sock, (err) => log.warn({ err: String(err) }, `${kind} send failed`), undefined, kind === 'pub');
  }
  async start(): Promise<void> { await attach(this.sock, this.o.specs, endpointOpts(this.o)); }
  send(msg: Buffer | Frames): void { this.q.send(msg); }
  close(): void { this.sock.close(); }
}

/** One-way receiver (PULL or SUB); `onMessage` gets every multipart message. */
export class Receiver {
  readonly sock: zmq.Pull | zmq.Subscriber;
  onMessage: (frames: Frames) => void = () => undefined;
  constructor(private readonly kind: 'pull' | 'sub', private readonly o: Common, private readonly log: TransportLog, hwm = 101_000) {
    this.sock = kind === 'pull' ? new zmq.Pull({ receiveHighWaterMark: hwm, linger: 0 }) : new zmq.Subscriber({ receiveHighWaterMark: hwm, linger: 0 });
  }
  subscribe(prefix: string | Buffer): void { if (this.sock instanceof zmq.Subscriber) this.sock.subscribe(prefix); }
  unsubscribe(prefix: string | Buffer): void { if (this.sock instanceof zmq.Subscriber) this.sock.unsubscribe(prefix); }
  async start(): Promise<void> {
    await attach(this.sock, this.o.specs, endpointOpts(this.o));
    void this.read();
  }
  private async read(): Promise<void> {
    try {
      for await (const frames of this.sock) {
        try { this.onMessage(frames); } catch (err) { this.log.warn({ err: String(err) }, `${this.kind}: message handler failed`); }
      }
    } catch (err) {
      if (!this.sock.closed) this.log.warn({ err: String(err) }, `${this.kind} receive loop ended`);
    }
  }
  close(): void { this.sock.close(); }
}
