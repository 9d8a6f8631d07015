import * as zmq from 'zeromq';
import { attach } from './endpoints.js';
import { SendQueue } from './socket-queue.js';
import type { TransportLog } from './zhttp-sockets.js';

const EMPTY = Buffer.alloc(0);

/** Specs of a ZHTTP req-mode initiator (zhttp.md §1.2). */
export interface ReqInitiatorSpecs {
  specs: readonly string[];
  /** The proxy binds the DEALER of a `zhttpreq/` route target; user handlers connect. */
  bind: boolean;
  ipcFileMode?: number;
}

/**
 * ZHTTP req-mode initiator: one DEALER that sends `["", "T"+map]` (load-balanced over the
 * connected REP/ROUTER responders) and hands each reply's last frame to `onPayload`.
 * Replies are matched to requests by the packet `id` (the caller's job).
 */
export class ZhttpReqTransport {
  readonly dealer = new zmq.Dealer({ linger: 0, sendHighWaterMark: 1000, receiveHighWaterMark: 1000 });
  private readonly q: SendQueue;
  onPayload: (payload: Buffer) => void = () => undefined;
  /** A request could not be sent (no responder connected); gets the request payload. */
  onSendFailed: (payload: Buffer) => void = () => undefined;

  constructor(private readonly o: ReqInitiatorSpecs, private readonly log: TransportLog) {
    // with no responder connected a send would block forever: fail it at once instead
    this.dealer.sendTimeout = 0;
    this.q = new SendQueue(this.dealer, (err, msg) => {
      log.warn({ err: String(err) }, 'zhttp req DEALER send failed');
      if (Array.isArray(msg) && msg[1]) this.onSendFailed(msg[1]);
    }, undefined, false, true);
  }

  async start(): Promise<void> {
    await attach(this.dealer, this.o.specs, { bind: this.o.bind, ...(this.o.ipcFileMode !== undefined ? { ipcFileMode: this.o.ipcFileMode } : {}) });
    void this.read();
  }

  /** Queues one request payload (`T`+tnetstring). */
  send(payload: Buffer): void { this.q.send([EMPTY, payload]); }

  private async read(): Promise<void> {
    try {
      for await (const frames of this.dealer) {
        // a REP answers ["", payload]; a ROUTER-based responder may answer [payload] or ["", payload]
        const payload = frames[frames.length - 1];
        if (!payload || frames.length > 2 || (frames.length === 2 && frames[0]!.length !== 0)) {
          this.log.warn({ parts: frames.length }, 'zhttp req DEALER: malformed reply envelope, skipping');
          continue;
        }
        try { this.onPayload(payload); } catch (err) { this.log.warn({ err: String(err) }, 'zhttp req: reply handler failed'); }
      }
    } catch (err) {
      if (!this.dealer.closed) this.log.warn({ err: String(err) }, 'zhttp req DEALER receive loop ended');
    }
  }

  close(): void { this.dealer.close(); }
}
