import * as zmq from 'zeromq';
import { encodePubFrame } from '../codec/packet-codec.js';
import { attach } from './endpoints.js';
import { SendQueue } from './socket-queue.js';
import { FanoutBatcher } from './fanout-batcher.js';

export interface TransportLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

const STREAM_HWM = 101_000;
const PUB_JOIN_DELAY_MS = 300;
const INIT_HWM = 100;

/** Specs of the initiator side (architecture.md §2.1): PUSH first packets, ROUTER later ones, SUB replies. */
export interface InitiatorSpecs {
  instanceId: string;
  pushSpecs: readonly string[];
  routerSpecs: readonly string[];
  subSpecs: readonly string[];
  bind: boolean;
  ipcFileMode?: number;
}

/**
 * Initiator transport: sends first packets on PUSH (load-balanced), later packets on ROUTER
 * addressed by the responder's id, receives responder packets on SUB (prefix `"<id> "`).
 */
export class InitiatorTransport {
  readonly push = new zmq.Push({ sendHighWaterMark: INIT_HWM, linger: 0, immediate: true });
  readonly router: zmq.Router;
  readonly sub = new zmq.Subscriber({ receiveHighWaterMark: STREAM_HWM, linger: 0 });
  private readonly pushQ: SendQueue;
  private readonly routerQ: SendQueue;
  onPayload: (payload: Buffer) => void = () => undefined;
  /** Called when a ROUTER send fails (unknown peer); gives the destination so sessions can fail. */
  onUnroutable: (peer: string) => void = () => undefined;

  constructor(private readonly specs: InitiatorSpecs, private readonly log: TransportLog) {
    this.router = new zmq.Router({ routingId: specs.instanceId, mandatory: true, sendHighWaterMark: STREAM_HWM, receiveHighWaterMark: STREAM_HWM, linger: 0 });
    this.pushQ = new SendQueue(this.push, (err) => log.warn({ err: String(err) }, 'zhttp PUSH send failed'));
    this.routerQ = new SendQueue(this.router, (err, msg) => {
      const peer = Array.isArray(msg) ? msg[0]!.toString('latin1') : '';
      // EHOSTUNREACH (peer gone) is routine; EAGAIN (peer's pipe full) loses a packet
      if ((err as { code?: string }).code === 'EAGAIN') log.warn({ err: String(err), peer }, 'zhttp ROUTER send failed: peer queue full, packet dropped');
      else log.debug({ err: String(err), peer }, 'zhttp ROUTER send failed');
      this.onUnroutable(peer);
    }, undefined, false, true);
    this.sub.subscribe(`${specs.instanceId} `);
    // responders whose PUB reached our (bound) SUB: see waitForResponders
    if (specs.bind) this.sub.events.on('handshake', () => this.responderJoined());
  }

  private responders = 0;
  private responderWaiters: Array<() => void> = [];

  private responderJoined(): void {
    this.responders++;
    for (const w of this.responderWaiters.splice(0)) w();
  }

  /**
   * When we bind: resolves once a responder (proxy, handler) has connected its PUB to our SUB
   * and `graceMs` more have passed, so the others, which retry every 100 ms, are connected
   * too; or after `maxMs` in any case. A restarted connection manager that took clients at
   * once would otherwise send requests whose replies are published before the responders
   * have reconnected, and are lost. Returns the number of responder connections seen.
   */
  async waitForResponders(graceMs: number, maxMs: number): Promise<number> {
    if (!this.specs.bind) return this.responders;
    const deadline = Date.now() + maxMs;
    if (this.responders === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, maxMs);
        this.responderWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    const left = Math.min(graceMs, deadline - Date.now());
    if (left > 0) await new Promise((r) => setTimeout(r, left));
    return this.responders;
  }

  async start(): Promise<void> {
    const o = { bind: this.specs.bind, ...(this.specs.ipcFileMode !== undefined ? { ipcFileMode: this.specs.ipcFileMode } : {}) };
    await attach(this.push, this.specs.pushSpecs, o);
    await attach(this.router, this.specs.routerSpecs, o);
    await attach(this.sub, this.specs.subSpecs, o);
    void this.readSub();
    void this.readRouter();
  }

  sendFirst(payload: Buffer): void { this.pushQ.send(payload); }

  sendTo(peer: string, payload: Buffer): void { this.routerQ.send([Buffer.from(peer, 'latin1'), EMPTY, payload]); }

  private async readSub(): Promise<void> {
    const prefixLen = Buffer.byteLength(`${this.specs.instanceId} `);
    try {
      for await (const frames of this.sub) {
        if (frames.length !== 1) { this.log.warn({ parts: frames.length }, 'zhttp SUB: message with parts != 1, skipping'); continue; }
        this.onPayload(frames[0]!.subarray(prefixLen));
      }
    } catch (err) {
      if (!this.sub.closed) this.log.warn({ err: String(err) }, 'zhttp SUB receive loop ended');
    }
  }

  // Responders never send to our ROUTER, but drain it so a misbehaving peer cannot fill buffers.
  private async readRouter(): Promise<void> {
    try {
      for await (const frames of this.router) this.log.debug({ parts: frames.length }, 'zhttp initiator ROUTER: unexpected message dropped');
    } catch { /* closed */ }
  }

  close(): void { this.push.close(); this.router.close(); this.sub.close(); }
}

/** Specs of the responder side: PULL first packets, ROUTER later ones, PUB replies. */
export interface ResponderSpecs {
  instanceId: string;
  pullSpecs: readonly string[];
  routerSpecs: readonly string[];
  pubSpecs: readonly string[];
  bind: boolean;
  ipcFileMode?: number;
}

/**
 * Responder transport: receives first packets on PULL and later ones on ROUTER (identity =
 * instance id), sends every packet on PUB as `"<initiator-id> T…"`.
 */
export class ResponderTransport {
  readonly pull = new zmq.Pull({ receiveHighWaterMark: INIT_HWM, linger: 0 });
  readonly router: zmq.Router;
  // sendTimeout 0: a PUB never blocks anyway; zeromq.js then sends synchronously (SendQueue `immediate`)
  readonly pub = new zmq.Publisher({ sendHighWaterMark: STREAM_HWM, linger: 0, sendTimeout: 0 });
  private readonly pubQ: SendQueue;
  onPayload: (payload: Buffer, via: 'pull' | 'router') => void = () => undefined;

  constructor(private readonly specs: ResponderSpecs, private readonly log: TransportLog) {
    this.router = new zmq.Router({ routingId: specs.instanceId, sendHighWaterMark: STREAM_HWM, receiveHighWaterMark: STREAM_HWM, linger: 0 });
    this.pubQ = new SendQueue(this.pub, (err) => log.warn({ err: String(err) }, 'zhttp PUB send failed'), undefined, true);
  }

  async start(): Promise<void> {
    const o = { bind: this.specs.bind, ...(this.specs.ipcFileMode !== undefined ? { ipcFileMode: this.specs.ipcFileMode } : {}) };
    await attach(this.pub, this.specs.pubSpecs, o);
    await attach(this.router, this.specs.routerSpecs, o);
    // PUB drops messages until the peer's SUB subscription has arrived ("slow joiner"): give a
    // connecting PUB a moment before taking first packets, so the first replies are not lost.
    if (!this.specs.bind && this.specs.pubSpecs.length) await new Promise((r) => setTimeout(r, PUB_JOIN_DELAY_MS));
    await attach(this.pull, this.specs.pullSpecs, o);
    if (this.specs.pullSpecs.length) void this.readPull();
    void this.readRouter();
  }

  private fanout: FanoutBatcher | undefined;

  send(dest: string, payload: Buffer): void {
    if (this.fanout?.pending) this.fanout.flush();
    this.pubQ.send(encodePubFrame(dest, payload));
  }

  /**
   * Sends a data packet `{id, seq, body, more}` whose body segment (`encodeBodySegment`) is
   * shared with other sessions: merged with the other sessions of `dest` that get the same
   * segment into multi-id packets (only for peers that advertised `ext.multi`).
   */
  sendShared(dest: string, bodySegment: Buffer, id: string, seq: number, more = true): void {
    this.fanout ??= new FanoutBatcher(this.specs.instanceId, (d, payload) => this.pubQ.send(encodePubFrame(d, payload)));
    this.fanout.add(dest, bodySegment, id, seq, more);
  }

  private async readPull(): Promise<void> {
    try {
      for await (const frames of this.pull) {
        if (frames.length !== 1) { this.log.warn({ parts: frames.length }, 'zhttp PULL: message with parts != 1, skipping'); continue; }
        this.onPayload(frames[0]!, 'pull');
      }
    } catch (err) {
      if (!this.pull.closed) this.log.warn({ err: String(err) }, 'zhttp PULL receive loop ended');
    }
  }

  private async readRouter(): Promise<void> {
    try {
      for await (const frames of this.router) {
        // ROUTER peers send [identity, "", payload]; a DEALER-style ["", payload] after the identity is tolerated.
        const payload = frames.length === 3 && frames[1]!.length === 0 ? frames[2]! : undefined;
        if (!payload) { this.log.warn({ parts: frames.length }, 'zhttp ROUTER: malformed envelope, skipping'); continue; }
        this.onPayload(payload, 'router');
      }
    } catch (err) {
      if (!this.router.closed) this.log.warn({ err: String(err) }, 'zhttp ROUTER receive loop ended');
    }
  }

  close(): void { this.fanout?.flush(); this.pull.close(); this.router.close(); this.pub.close(); }
}

const EMPTY = Buffer.alloc(0);
