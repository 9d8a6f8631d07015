import { encodePacket } from '../codec/packet-codec.js';
import type { Header, Packet } from '../codec/packet.js';

/** Why a session ended (passed to `onend`). */
export type EndReason = 'cancel' | 'error' | 'expired' | 'seq-error' | 'unroutable';

/** Start of a response carried by the first data packet. */
export interface ResponseHead { code: number; reason: string; headers: Header[] }

interface WriteItem {
  head?: ResponseHead | undefined;
  body: Buffer;
  more: boolean;
  contentType?: 'text' | 'binary' | undefined;
  first: boolean;
  grant?: number | undefined;
}

/** Session callbacks; owners assign the ones they need. Order: data* then end, or end alone. */
export interface SessionEvents {
  /** Data packet from the peer (request body, response body, WebSocket message). */
  ondata?: (p: Packet) => void;
  /** Credits arrived and the write queue drained as far as it could. */
  oncredit?: () => void;
  onclose?: (code: number | undefined, reason: Buffer) => void;
  onping?: (body: Buffer) => void;
  onpong?: (body: Buffer) => void;
  onhandoffproceed?: () => void;
  onhandoffstart?: () => void;
  /** Session is over because of the peer, a timeout or a protocol error. Not called after `destroy()`. */
  onend?: (reason: EndReason, p?: Packet) => void;
}

/**
 * State shared by both ends of a ZHTTP stream session (zhttp.md §4): sequence numbers,
 * the credit window for bodies we send, keep-alive/expiry timestamps, and a write queue
 * that splits bodies to fit the peer's credits.
 */
export abstract class SessionBase implements SessionEvents {
  ondata?: (p: Packet) => void;
  oncredit?: () => void;
  onclose?: (code: number | undefined, reason: Buffer) => void;
  onping?: (body: Buffer) => void;
  onpong?: (body: Buffer) => void;
  onhandoffproceed?: () => void;
  onhandoffstart?: () => void;
  onend?: (reason: EndReason, p?: Packet) => void;

  outSeq = 0;
  inSeq = 0;
  /** Body bytes we may still send. */
  credits = 0;
  /** The peer advertised ext.multi. */
  peerMulti = false;
  lastSent = Date.now();
  lastRecv = Date.now();
  ended = false;
  /** When true, bodies are sent regardless of credits (peer did not ask for stream mode). */
  ignoreCredits = false;
  private queue: WriteItem[] = [];
  private queuedBytes = 0;
  /** Arbitrary owner data. */
  data: unknown;

  constructor(readonly selfId: string, readonly id: string) {}

  /** Peer instance id packets are addressed to (undefined until known). */
  abstract get peer(): string | undefined;
  protected abstract transmit(payload: Buffer): void;
  protected abstract removeFromManager(): void;

  get buffered(): number { return this.queuedBytes; }

  /** Sends one packet, stamping from/id/seq. Returns false if the session is over. */
  send(p: Omit<Packet, 'from' | 'id' | 'seq'>): boolean {
    if (this.ended) return false;
    const full: Packet = { ...p, from: this.selfId, id: this.id, seq: this.outSeq++ };
    if (this.outSeq === 1 || p.type === 'keep-alive') full.multi = true;
    this.lastSent = Date.now();
    this.transmit(encodePacket(full));
    return true;
  }

  /** Queues body bytes; they go out as the peer's credits allow. */
  write(body: Buffer, more: boolean, contentType?: 'text' | 'binary'): void {
    this.enqueue({ body, more, contentType, first: true });
  }

  /** Queues a response start (first data packet) with an optional body and credits to grant in it. */
  respond(head: ResponseHead, body: Buffer = EMPTY, more = false, extra?: { credits?: number }): void {
    this.enqueue({ head, body, more, first: true, grant: extra?.credits });
  }

  private enqueue(item: WriteItem): void {
    if (this.ended) return;
    this.queue.push(item);
    this.queuedBytes += item.body.length;
    this.pump();
  }

  /** Sends as much of the queue as credits allow. */
  protected pump(): void {
    while (this.queue.length && !this.ended && this.canSend()) {
      const item = this.queue[0]!;
      const avail = this.ignoreCredits ? item.body.length : Math.min(this.credits, item.body.length);
      if (avail === 0 && item.body.length > 0 && !item.head) break;
      const piece = item.body.subarray(0, avail);
      const rest = item.body.length - avail;
      const p: Omit<Packet, 'from' | 'id' | 'seq'> = {};
      if (item.head) { p.code = item.head.code; p.reason = item.head.reason; p.headers = item.head.headers; }
      if (item.first && item.contentType) p.contentType = item.contentType;
      if (piece.length || !item.head) p.body = piece;
      if (rest > 0 || item.more) p.more = true;
      if (item.grant) p.credits = item.grant;
      if (!this.ignoreCredits) this.credits -= piece.length;
      this.queuedBytes -= piece.length;
      if (rest > 0) {
        this.queue[0] = { body: item.body.subarray(avail), more: item.more, first: false };
      } else {
        this.queue.shift();
      }
      this.send(p);
    }
  }

  /** Subclasses hold packets back (e.g. before the peer is known or during a handoff). */
  protected canSend(): boolean { return true; }

  /** Grants the peer `n` more body bytes. */
  credit(n: number): void { if (n > 0) this.send({ type: 'credit', credits: n }); }
  keepAlive(): void { this.send({ type: 'keep-alive' }); }
  close(code?: number, reason?: Buffer): void {
    this.send({ type: 'close', ...(code !== undefined ? { code } : {}), ...(reason && reason.length ? { body: reason } : {}) });
  }
  ping(body: Buffer = EMPTY): void { this.send({ type: 'ping', body }); }
  pong(body: Buffer = EMPTY): void { this.send({ type: 'pong', body }); }
  handoffStart(): void { this.send({ type: 'handoff-start' }); }
  handoffProceed(): void { this.send({ type: 'handoff-proceed' }); }
  /** Cancels the session towards the peer and forgets it locally. */
  cancel(): void { if (!this.ended) { this.send({ type: 'cancel' }); this.destroy(); } }
  /** Sends an error packet and forgets the session. */
  error(condition: string, extra?: Omit<Packet, 'from' | 'id' | 'seq' | 'type' | 'condition'>): void {
    if (!this.ended) { this.send({ type: 'error', condition, ...extra }); this.destroy(); }
  }
  /** Forgets the session locally without telling the peer. */
  destroy(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.removeFromManager();
  }

  /** Whether a keep-alive may be sent now (false while paused for a handoff). */
  canKeepAlive(): boolean { return this.canSend(); }

  /** Ends the session after 60 s of peer silence. */
  expire(): void { this.end('expired'); }

  protected end(reason: EndReason, p?: Packet): void {
    if (this.ended) return;
    this.destroy();
    this.onend?.(reason, p);
  }

  /** Common handling of an incoming packet for this session (zhttp.md §4.1). */
  handleIncoming(p: Packet): void {
    if (this.ended) return;
    this.lastRecv = Date.now();
    if (p.multi) this.peerMulti = true;
    if (p.type === 'cancel') { this.end('cancel', p); return; }
    if (p.type === 'error') { this.end('error', p); return; }
    if (p.seq !== undefined) {
      if (p.seq !== this.inSeq) {
        this.send({ type: 'cancel' });
        this.end('seq-error', p);
        return;
      }
      this.inSeq++;
    }
    const before = this.credits;
    if (p.credits !== undefined && p.credits > 0) this.credits += p.credits;
    this.dispatch(p);
    if (this.credits !== before && !this.ended) {
      this.pump();
      this.oncredit?.();
    }
  }

  protected dispatch(p: Packet): void {
    switch (p.type) {
      case undefined: this.ondata?.(p); break;
      case 'close': this.onclose?.(p.code, p.body ?? EMPTY); break;
      case 'ping': this.onping?.(p.body ?? EMPTY); break;
      case 'pong': this.onpong?.(p.body ?? EMPTY); break;
      case 'handoff-proceed': this.onhandoffproceed?.(); break;
      case 'handoff-start': this.onhandoffstart?.(); break;
      default: break; // credit, keep-alive
    }
  }
}

export const EMPTY = Buffer.alloc(0);
