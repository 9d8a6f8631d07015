import { randomBytes } from 'node:crypto';
import { decodePacket, encodePacket } from '../codec/packet-codec.js';
import type { Packet } from '../codec/packet.js';
import { SessionBase } from './session-base.js';
import { KeepAliveTicker, type SessionLog } from './keepalive.js';

/** Minimal transport an initiator needs (InitiatorTransport implements it). */
export interface InitiatorLink {
  sendFirst(payload: Buffer): void;
  sendTo(peer: string, payload: Buffer): void;
  onPayload: (payload: Buffer) => void;
  onUnroutable: (peer: string) => void;
}

/** The initiator end of one session (connmgr towards proxy/handler, proxy towards zurl). */
export class InitiatorSession extends SessionBase {
  private peerId: string | undefined;
  /** The responder sent handoff-start; we answered and wait for the new owner. */
  private handingOff = false;
  private gotResponse = false;
  /** First data packet with a status (response start). Called before `ondata` for the same packet. */
  onresponse?: (p: Packet) => void;

  constructor(private readonly mgr: ZhttpInitiator, id: string) {
    super(mgr.instanceId, id);
  }

  get peer(): string | undefined { return this.peerId; }
  get responded(): boolean { return this.gotResponse; }

  protected transmit(payload: Buffer): void {
    if (this.outSeq === 1) this.mgr.link.sendFirst(payload);
    else if (this.peerId !== undefined) this.mgr.link.sendTo(this.peerId, payload);
  }
  protected canSend(): boolean { return this.peerId !== undefined && !this.handingOff; }
  protected removeFromManager(): void { this.mgr.forget(this); }

  /** Sends the first packet (seq 0) through PUSH. */
  start(first: Omit<Packet, 'from' | 'id' | 'seq'>): void {
    if (first.credits === undefined) first = { ...first };
    this.send(first);
  }

  override handleIncoming(p: Packet): void {
    if (this.ended) return;
    if (p.from !== undefined && p.from !== this.peerId) {
      // a new responder speaks: the peer changed (handoff) or we learn it for the first time
      this.peerId = p.from;
      if (this.handingOff) this.handingOff = false;
    }
    super.handleIncoming(p);
    if (!this.ended && this.canSend()) this.pump();
  }

  protected override dispatch(p: Packet): void {
    if (p.type === 'handoff-start') {
      // zhttp.md §5: answer and go quiet until the new owner speaks
      this.send({ type: 'handoff-proceed' });
      this.handingOff = true;
      this.onhandoffstart?.();
      return;
    }
    if (p.type === undefined && !this.gotResponse && p.code !== undefined) {
      this.gotResponse = true;
      this.onresponse?.(p);
      return;
    }
    super.dispatch(p);
  }
}

export interface InitiatorOptions {
  instanceId: string;
  log: SessionLog;
  /** Session id generator; zurl needs globally unique ids. Default: `<random>-<counter>`. */
  newId?: () => string;
}

/** Initiator-side session manager (zhttp.md §8 items 12–17). */
export class ZhttpInitiator {
  readonly instanceId: string;
  readonly sessions = new Map<string, InitiatorSession>();
  private readonly ticker: KeepAliveTicker<InitiatorSession>;
  private counter = 0;
  private readonly prefix = randomBytes(4).toString('hex');

  constructor(readonly link: InitiatorLink, private readonly opts: InitiatorOptions) {
    this.instanceId = opts.instanceId;
    link.onPayload = (payload) => this.onPayload(payload);
    link.onUnroutable = (peer) => this.onUnroutable(peer);
    this.ticker = new KeepAliveTicker(() => this.sessions.values(), (peer, batch) => this.sendMultiKeepAlive(peer, batch));
  }

  /** Creates a session; call `start(firstPacket)` after assigning callbacks. */
  open(id?: string): InitiatorSession {
    const sid = id ?? this.opts.newId?.() ?? `${this.prefix}-${(this.counter++).toString(16)}`;
    const s = new InitiatorSession(this, sid);
    this.sessions.set(sid, s);
    return s;
  }

  forget(s: InitiatorSession): void {
    if (this.sessions.get(s.id) === s) this.sessions.delete(s.id);
  }

  private onPayload(payload: Buffer): void {
    let p: Packet;
    try {
      p = decodePacket(payload);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message }, 'zhttp: dropping malformed packet');
      return;
    }
    if (typeof p.id === 'string') { this.handle(p); return; }
    // one packet object for every entry (receivers use a packet synchronously and do not keep it)
    const single: Packet = { ...p, id: '' };
    for (const e of p.id) {
      single.id = e.id;
      single.seq = e.seq;
      this.handle(single);
    }
  }

  private handle(p: Packet): void {
    const id = p.id as string;
    const s = this.sessions.get(id);
    if (s) { s.handleIncoming(p); return; }
    if (p.from !== undefined && (p.type === undefined || p.type === 'handoff-start' || p.type === 'close' || p.type === 'ping')) {
      this.link.sendTo(p.from, encodePacket({ from: this.instanceId, id, seq: 0, type: 'cancel' }));
    }
  }

  private onUnroutable(peer: string): void {
    this.opts.log.debug({ peer }, 'zhttp: peer unreachable');
  }

  private sendMultiKeepAlive(peer: string, batch: InitiatorSession[]): void {
    const ids = batch.map((s) => ({ id: s.id, seq: s.outSeq++ }));
    const now = Date.now();
    for (const s of batch) s.lastSent = now;
    this.link.sendTo(peer, encodePacket({ from: this.instanceId, id: ids, type: 'keep-alive', multi: true }));
  }

  /**
   * Grants `n` credits to each of `sessions` (all talking to `peer`) in one multi-id
   * `credit` packet (zhttp.md §6); each session's seq advances as if sent alone.
   */
  creditMany(peer: string, sessions: readonly InitiatorSession[], n: number): void {
    const ids: Array<{ id: string; seq: number }> = [];
    const now = Date.now();
    for (const s of sessions) {
      if (s.ended) continue;
      ids.push({ id: s.id, seq: s.outSeq++ });
      s.lastSent = now;
    }
    if (ids.length) this.link.sendTo(peer, encodePacket({ from: this.instanceId, id: ids, type: 'credit', credits: n, multi: true }));
  }

  start(): void { this.ticker.start(); }
  stop(): void { this.ticker.stop(); }
}
