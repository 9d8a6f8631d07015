import { decodePacket, encodePacket } from '../codec/packet-codec.js';
import type { Packet } from '../codec/packet.js';
import { SessionBase } from './session-base.js';
import { KeepAliveTicker, type SessionLog } from './keepalive.js';

/** Minimal transport a responder needs (ResponderTransport implements it). */
export interface ResponderLink {
  send(dest: string, payload: Buffer): void;
  onPayload: (payload: Buffer, via: 'pull' | 'router') => void;
}

/** The responder end of one session (proxy towards connmgr, zurl, handler after handoff). */
export class ResponderSession extends SessionBase {
  constructor(private readonly mgr: ZhttpResponder, readonly peerId: string, id: string, readonly request: Packet | undefined) {
    super(mgr.instanceId, id);
  }
  get peer(): string { return this.peerId; }
  protected transmit(payload: Buffer): void { this.mgr.link.send(this.peerId, payload); }
  protected removeFromManager(): void { this.mgr.forget(this); }
}

export interface AdoptOptions {
  from: string; id: string; inSeq: number; outSeq: number; credits: number; multi?: boolean;
  /** The request the session carries (a proxy taking a session back from the handler). */
  request?: Packet;
}

export interface ResponderOptions {
  instanceId: string;
  log: SessionLog;
  /** zurl identifies sessions by id only; everyone else by (from, id). */
  keyByIdOnly?: boolean;
  /** A new session's first packet arrived (zhttp.md §2.2). */
  onSession?: (s: ResponderSession) => void;
}

/**
 * Responder-side session manager: decodes packets, creates sessions for first packets,
 * checks sequence numbers, answers unknown sessions with cancel, sends keep-alives and
 * expires silent sessions (zhttp.md §4).
 */
export class ZhttpResponder {
  readonly instanceId: string;
  readonly sessions = new Map<string, ResponderSession>();
  private readonly ticker: KeepAliveTicker<ResponderSession>;

  constructor(readonly link: ResponderLink, private readonly opts: ResponderOptions) {
    this.instanceId = opts.instanceId;
    link.onPayload = (payload, via) => this.onPayload(payload, via);
    this.ticker = new KeepAliveTicker(() => this.sessions.values(), (peer, batch) => this.sendMultiKeepAlive(peer, batch));
  }

  private key(from: string, id: string): string { return this.opts.keyByIdOnly ? id : `${from}\n${id}`; }

  /** Takes over a session started elsewhere (handoff; zhttp.md §5). */
  adopt(o: AdoptOptions): ResponderSession {
    const s = new ResponderSession(this, o.from, o.id, o.request);
    s.inSeq = o.inSeq;
    s.outSeq = o.outSeq;
    s.credits = o.credits;
    s.peerMulti = o.multi ?? true;
    const k = this.key(o.from, o.id);
    this.sessions.get(k)?.destroy();
    this.sessions.set(k, s);
    return s;
  }

  forget(s: ResponderSession): void {
    const k = this.key(s.peerId, s.id);
    if (this.sessions.get(k) === s) this.sessions.delete(k);
  }

  private onPayload(payload: Buffer, via: 'pull' | 'router'): void {
    let p: Packet;
    try {
      p = decodePacket(payload);
    } catch (err) {
      this.opts.log.warn({ err: (err as Error).message, via }, 'zhttp: dropping malformed packet');
      return;
    }
    if (typeof p.id === 'string') { this.handle(p, via); return; }
    if (via === 'pull') { this.opts.log.warn({}, 'zhttp: first packet with multiple ids ignored'); return; }
    // one packet object for every entry (receivers use a packet synchronously and do not keep it)
    const single: Packet = { ...p, id: '' };
    for (const e of p.id) {
      single.id = e.id;
      single.seq = e.seq;
      this.handle(single, via);
    }
  }

  private handle(p: Packet, via: 'pull' | 'router'): void {
    const id = p.id as string;
    const from = p.from;
    if (from === undefined) { this.opts.log.warn({ id }, "zhttp: packet without 'from' dropped"); return; }
    const k = this.key(from, id);
    const existing = this.sessions.get(k);
    // `method` is not required here: Pushpin's proxy leaves it out of WebSocket requests to zurl
    // (the handshake is a GET); the application checks it
    const isFirst = p.type === undefined && p.uri !== undefined && (p.seq ?? 0) === 0;
    if (!existing) {
      if (isFirst && via === 'pull') {
        const s = new ResponderSession(this, from, id, p);
        this.sessions.set(k, s);
        s.handleIncoming(p);
        if (!s.ended) this.opts.onSession?.(s);
        return;
      }
      // credit/keep-alive for a session we just finished are harmless; cancel the rest
      if (p.type === undefined || p.type === 'handoff-start' || p.type === 'close' || p.type === 'ping') {
        this.link.send(from, encodePacket({ from: this.instanceId, id, seq: 0, type: 'cancel' }));
      }
      return;
    }
    if (isFirst && via === 'pull') {
      // a first packet reusing an active (from, id) is refused
      existing.cancel();
      return;
    }
    existing.handleIncoming(p);
  }

  private sendMultiKeepAlive(peer: string, batch: ResponderSession[]): void {
    const ids = batch.map((s) => ({ id: s.id, seq: s.outSeq++ }));
    const now = Date.now();
    for (const s of batch) s.lastSent = now;
    this.link.send(peer, encodePacket({ from: this.instanceId, id: ids, type: 'keep-alive', multi: true }));
  }

  start(): void { this.ticker.start(); }
  stop(): void { this.ticker.stop(); }
}
