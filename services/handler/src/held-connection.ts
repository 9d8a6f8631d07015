/**
 * State shared by held HTTP sessions (response and stream holds): the adopted ZHTTP
 * session, its channel subscriptions, and the teardown that frees everything exactly once.
 */
import type { EndReason, Packet, ResponseHead } from '@pushpin-ts/zhttp';
import type { FilterContext, Instruct, PublishItem } from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem, Subscriber, SubscriberMode, SubscriptionHub } from './hub.js';
import type { HandlerLog } from './log.js';
import type { TimerWheel } from './timer-wheel.js';
import type { TurnQueue } from './turn-queue.js';
import { resolveLink, type OutRequest, type SeqServices, type SessionOrigin } from './seq/index.js';

/** The ZHTTP session surface a hold uses (ResponderSession implements it; tests fake it). */
export interface ZhttpSessionLike {
  readonly id: string;
  readonly peer: string | undefined;
  outSeq: number;
  credits: number;
  lastSent: number;
  readonly ended: boolean;
  /** Body bytes queued in the session, waiting for credits. */
  readonly buffered: number;
  /** The peer advertised `ext.multi` (may be addressed by multi-id packets). */
  readonly peerMulti?: boolean;
  respond(head: ResponseHead, body?: Buffer, more?: boolean): void;
  write(body: Buffer, more: boolean): void;
  keepAlive(): void;
  /** Tells the peer the session is over and forgets it. */
  cancel(): void;
  /** Forgets the session without telling the peer. */
  destroy(): void;
  oncredit?: (() => void) | undefined;
  onend?: ((reason: EndReason, p?: Packet) => void) | undefined;
}

/** What every hold needs from the process. */
export interface HoldContext {
  hub: SubscriptionHub;
  wheel: TimerWheel;
  log: HandlerLog;
  /** Our ZHTTP instance id (`from` of packets). */
  instanceId: string;
  /** Sends an encoded packet to a peer on the session's socket (fan-out fast path); optional. */
  sendRaw?: (peer: string, payload: Buffer) => void;
  /**
   * Sends a data packet `{id, seq, body: segment, more: true}` whose body segment is shared by
   * every subscriber of a published item; packets for the same peer are merged into multi-id
   * packets (zhttp.md §6). Optional; needs `sendRaw` too.
   */
  sendShared?: (peer: string, bodySegment: Buffer, id: string, seq: number) => void;
  /** When set, stream holds send the items of one event-loop turn together (else at once). */
  turn?: TurnQueue;
  /** `connection_subscription_max` (default 20). */
  connectionSubscriptionMax?: number;
  /** Last ids, internal requests, update limiter; absent = no next links / retries. */
  seq?: SeqServices;
}

export const ERROR_BODY = Buffer.from('Error while proxying to origin.\n');
export const ERROR_HEAD: ResponseHead = { code: 502, reason: 'Bad Gateway', headers: [['Content-Type', 'text/plain']] };

export abstract class HeldConnection implements Subscriber {
  abstract readonly mode: SubscriberMode;
  readonly subs = new Map<string, ChannelSub>();
  readonly channelNames = new Set<string>();
  /** Subscription meta; replaced when a next link answers with a new instruct. */
  meta: Record<string, string>;
  /** Released from the hub and timers; no more items are taken. */
  protected released = false;
  /** Final packet queued: destroy the session once its queue has drained. */
  private destroyWhenDrained = false;
  /** `Grip-Link rel=gone` target (resolved), POSTed once when the session ends for good. */
  protected goneUri: string | undefined;

  constructor(
    protected readonly ctx: HoldContext,
    protected readonly session: ZhttpSessionLike,
    readonly cid: string,
    protected instruct: Instruct,
    channels: readonly ChannelSub[],
    /** The accept this session came from (absent in unit tests). */
    protected readonly origin?: SessionOrigin,
  ) {
    this.meta = instruct.meta;
    // only a gone link of the session's first instruct is used (1.41)
    if (instruct.goneLink !== undefined && origin) this.goneUri = resolveLink(origin.request.uri, instruct.goneLink);
    for (const c of channels) {
      this.subs.set(c.channel, c);
      this.channelNames.add(c.channel);
    }
    // these run inside the transport's receive loop: never let an exception escape into it
    // (the credit path runs once per delivery: no closure per call)
    session.onend = (reason) => {
      try { this.onSessionEnd(reason); } catch (err) { this.handlerFailed('end', err); }
    };
    session.oncredit = () => {
      try { this.onCredit(); } catch (err) { this.handlerFailed('credit', err); }
    };
  }

  private handlerFailed(what: string, err: unknown): void {
    this.ctx.log.error({ cid: this.cid, err: String(err) }, `held session: ${what} handling failed`);
  }

  abstract deliver(p: PreparedItem, sub: ChannelSub): void;

  /** Registers with the hub and subscribes every channel. */
  protected register(): void {
    this.ctx.hub.addConnection(this)?.abandon?.();
    for (const ch of this.subs.keys()) this.ctx.hub.subscribe(this, ch);
  }

  /** Stops timers and leaves the hub. Idempotent. */
  protected release(): void {
    if (this.released) return;
    this.released = true;
    this.stopTimers();
    this.ctx.hub.removeConnection(this);
  }

  protected abstract stopTimers(): void;

  /** The final packet is queued: release now, forget the session once it is on the wire. */
  protected finish(): void {
    this.release();
    this.sendGone();
    if (this.session.ended) return;
    if (this.session.buffered === 0) this.session.destroy();
    else this.destroyWhenDrained = true;
  }

  /** Ends the exchange with a 502 (nothing may have been sent yet). */
  protected fail(message: string): void {
    this.ctx.log.warn({ cid: this.cid, err: message }, 'held session error');
    if (!this.session.ended) this.session.respond(ERROR_HEAD, ERROR_BODY, false);
    this.finish();
  }

  protected onCredit(): void {
    if (this.destroyWhenDrained) {
      if (this.session.buffered === 0 && !this.session.ended) this.session.destroy();
      return;
    }
    this.pump();
  }

  /** Writes queued items as credits allow (stream holds). */
  protected pump(): void { /* nothing queued by default */ }

  protected onSessionEnd(reason: EndReason): void {
    this.ctx.log.debug({ cid: this.cid, reason }, 'held session ended');
    this.release();
    this.sendGone();
  }

  /** `req` naming this session's route, so the proxy sends it the same way (`passthrough.route`). */
  protected routed(req: OutRequest): OutRequest {
    const route = this.origin?.route;
    if (route !== undefined) req.route = route;
    return req;
  }

  /** POSTs the gone link (1.41 behaviour) once; the answer is ignored. */
  protected sendGone(): void {
    const uri = this.goneUri;
    if (uri === undefined) return;
    this.goneUri = undefined;
    const rq = this.ctx.seq?.requester;
    if (!rq) return;
    const host = hostOf(uri);
    rq.request(this.routed({ method: 'POST', uri, headers: host ? [['Host', host]] : [] })).then(
      (r) => this.ctx.log.debug({ cid: this.cid, uri, code: r.code }, 'gone link sent'),
      (err: Error) => this.ctx.log.info({ cid: this.cid, uri, err: err.message }, 'gone link request failed'),
    );
  }

  /**
   * grip.md §9.2 item 1: true when a channel's prev-id differs from the handler's last id for it
   * (when one is known); those last ids are forgotten so the refetch/retry starts clean.
   */
  protected lastIdConflict(when: string): boolean {
    const seq = this.ctx.seq;
    if (!seq) return false;
    let conflict = false;
    for (const sub of this.subs.values()) {
      if (sub.prevId === undefined) continue;
      const last = seq.lastIds.get(sub.channel);
      if (last !== undefined && last !== sub.prevId) {
        this.ctx.log.debug({ cid: this.cid, channel: sub.channel, got: sub.prevId, expected: last }, `last ID inconsistency ${when}`);
        seq.lastIds.delete(sub.channel);
        conflict = true;
      }
    }
    return conflict;
  }

  /** Another session took over this id: forget everything, send nothing. */
  abandon(): void { this.release(); }

  /** The client's address (stats `conn` packets `peer-address`). */
  get peerAddress(): string | undefined { return this.origin?.peerAddress; }

  /** Filter context for content filters of `item`. */
  protected filterContext(item: PublishItem): FilterContext {
    // as Pushpin: every channel is a template variable (route prefix removed), '' without prev-id
    const prefix = this.origin?.channelPrefix ?? '';
    const prevIds: Record<string, string> = {};
    for (const s of this.subs.values()) {
      const name = prefix && s.channel.startsWith(prefix) ? s.channel.slice(prefix.length) : s.channel;
      prevIds[name] = s.prevId ?? '';
    }
    return { subMeta: this.meta, pubMeta: item.meta, channels: this.channelNames, prevIds };
  }
}


function hostOf(uri: string): string | undefined {
  try { return new URL(uri).host; } catch { return undefined; }
}
