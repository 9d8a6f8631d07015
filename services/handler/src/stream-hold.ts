/**
 * `Grip-Hold: stream` (grip.md §7.3) and no-hold responses with a next link (§7.1): the
 * initial response goes out at once with `more: true`; each `http-stream` send item appends a
 * chunk; `close` ends the response; `Grip-Keep-Alive` data is written while idle (or on an
 * interval). Items wait in a small per-session queue while the client has no credits or a
 * next link is being fetched; past its bounds they are dropped.
 *
 * Reliability (grip.md §8, §9.3): a channel subscribed with `prev-id` only takes items whose
 * `prev-id` follows; otherwise the session fetches its next link (`Grip-Last` telling the
 * backend what it has) and continues from that answer. Next links are also fetched on
 * `hint`, on the link's timeout, on first subscription and on `recover`.
 */
import {
  applyContentFilters, applyResponseFilters, contentFilterMismatch, contentFilterNames, FilterError,
  GripInstructError, parseInstruct, type Instruct,
} from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem } from './hub.js';
import { HeldConnection, type HoldContext, type ZhttpSessionLike } from './held-connection.js';
import { encodeAddressSegment, encodeBodySegment, encodeDataPacket, joinedSegment } from './stream-packet.js';
import type { WheelTimer } from './timer-wheel.js';
import {
  authorityOf, gripLastHeaders, NEXT_LINK_RETRY_BASE_MS, NEXT_LINK_RETRY_MAX, resolveLink, retryDelay,
  type InResponse, type SessionOrigin,
} from './seq/index.js';

/** Per-session publish queue bounds (1.36 queues 100 items per session). */
export const STREAM_QUEUE_MAX_ITEMS = 100;
export const STREAM_QUEUE_MAX_BYTES = 4 * 1024 * 1024;
/**
 * A session whose client got credits within this window is reading, only slower than items
 * arrive (the connection manager grants credits as it writes, so a busy connection manager
 * looks like a slow client): its queue may grow past `STREAM_QUEUE_MAX_ITEMS`, up to
 * `STREAM_QUEUE_READING_MAX_ITEMS` (and the byte bound), instead of losing items.
 */
export const STREAM_QUEUE_READING_MS = 2_000;
export const STREAM_QUEUE_READING_MAX_ITEMS = 10_000;

/**
 * Whether a session's queue takes one more item of `bytes` (Pushpin's 100-item bound, relaxed
 * for a client that is reading). `pending` counts queued bytes plus bytes waiting in the session.
 */
export function queueHasRoom(items: number, pending: number, bytes: number, msSinceCredit: number): boolean {
  if (pending > 0 && pending + bytes > STREAM_QUEUE_MAX_BYTES) return false;
  if (items < STREAM_QUEUE_MAX_ITEMS) return true;
  return msSinceCredit <= STREAM_QUEUE_READING_MS && items < STREAM_QUEUE_READING_MAX_ITEMS;
}
/** Consecutive empty no-hold next-link hops before fetches are paced (loop protection). */
export const EMPTY_HOPS_BEFORE_PACING = 10;
/** Longest pause between paced empty hops (ms). */
export const EMPTY_HOP_PACE_MAX_MS = 16_000;

interface Queued {
  p: PreparedItem;
  channel: string;
  /** Dropped by delivery filters: only advances the channel's prev-id. */
  skipped: boolean;
  bytes: number;
}

type State = 'holding' | 'waiting' | 'fetching' | 'retry-wait' | 'closing';

const EMPTY = Buffer.alloc(0);
const NO_FILTERS: readonly string[] = [];

/**
 * What one `pump` collects to send as one packet: the first chunk on its own (the common
 * case, one item per turn), the arrays only from the second on.
 */
interface Batch { n: number; first: Buffer | undefined; firstSeg: Buffer | undefined; parts: Buffer[]; segs: Array<Buffer | undefined>; bytes: number }
/** Emptied batches for the next pump: a fan-out pumps every subscriber once per turn. */
const batchPool: Batch[] = [];
const newBatch = (): Batch => ({ n: 0, first: undefined, firstSeg: undefined, parts: [], segs: [], bytes: 0 });

export class StreamHold extends HeldConnection {
  readonly mode = 'stream' as const;
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private state: State = 'holding';
  private kaTimer: WheelTimer | undefined;
  private kaPeriod = 0;
  private kaSeg: { data: Buffer; seg: Buffer } | undefined;
  private lastWrite = 0;
  private address: string | undefined;
  // next links
  private currentUri: string;
  private nextUri: string | undefined;
  private retryTimer: WheelTimer | undefined;
  private retries = 0;
  private emptyHops = 0;
  /** An update was asked for while one was running. */
  private needUpdate: 'low' | 'high' | undefined;
  /** Channels that had an item since the next-link timer was (re)started. */
  private readonly activeChannels = new Set<string>();
  /** Bumped on every fetch so late answers of abandoned fetches are ignored. */
  private fetchSeq = 0;
  /** Waiting for credits before the next no-hold hop. */
  private hopWhenDrained = false;
  /** Items dropped since the queue last had room (one warning per overflow). */
  private dropped = 0;
  /** When credits last arrived from the client side (wheel clock; -Infinity: never). */
  private lastCredit = Number.NEGATIVE_INFINITY;
  /** Chunks collected by `pump` to go out as one packet. */
  private batch: Batch | undefined;

  constructor(ctx: HoldContext, session: ZhttpSessionLike, cid: string, instruct: Instruct, channels: readonly ChannelSub[], origin?: SessionOrigin) {
    super(ctx, session, cid, instruct, channels, origin);
    this.currentUri = origin?.request.uri ?? '';
    if (instruct.nextLink) this.nextUri = resolveLink(this.currentUri, instruct.nextLink.uri);
  }

  private get prefix(): string { return this.origin?.channelPrefix ?? ''; }

  /** Sends the initial response (head + `body`, more), subscribes, starts keep-alives. */
  start(initialBody: Buffer): void {
    const r = this.instruct.response;
    this.session.respond({ code: r.code, reason: r.reason, headers: r.headers }, initialBody, true);
    this.lastWrite = this.ctx.wheel.now();
    this.ctx.hub.addConnection(this)?.abandon?.();
    if (this.instruct.hold === 'none') {
      // no hold + next link: the body continues with the next link's answer (grip.md §7.1)
      this.subs.clear();
      this.channelNames.clear();
      this.doUpdate();
      return;
    }
    for (const ch of this.subs.keys()) this.ctx.hub.subscribe(this, ch);
    if (this.instruct.keepAlive) this.scheduleKeepAlive(this.newPeriod());
    this.prepareToHold(true);
  }

  protected stopTimers(): void {
    this.ctx.wheel.cancel(this.kaTimer);
    this.kaTimer = undefined;
    this.ctx.seq?.linkTimers.unregister(this);
    this.ctx.wheel.cancel(this.retryTimer);
    this.retryTimer = undefined;
    this.ctx.seq?.limiter.remove(this);
    this.fetchSeq++;
  }

  // ---- publish ----

  deliver(p: PreparedItem, sub: ChannelSub): void { this.take(p, sub, false); }

  skipped(p: PreparedItem, sub: ChannelSub): void {
    // only prev-id tracking cares about items the filters dropped
    if (sub.prevId !== undefined) this.take(p, sub, true);
  }

  private take(p: PreparedItem, sub: ChannelSub, skipped: boolean): void {
    if (this.released || this.state === 'closing') return;
    if (!p.item.formats.httpStream) return;
    const bytes = skipped ? 0 : (p.item.formats.httpStream.content?.length ?? 0);
    const pending = this.queuedBytes + this.session.buffered;
    if (!queueHasRoom(this.queue.length, pending, bytes, this.ctx.wheel.turnNow() - this.lastCredit)) {
      if (this.dropped++ === 0) {
        this.ctx.log.warn(
          { channel: sub.channel, cid: this.cid, queuedItems: this.queue.length, queuedBytes: pending, credits: this.session.credits, state: this.state },
          'stream queue full, dropping published item',
        );
      }
      return;
    }
    if (this.dropped > 1) this.ctx.log.warn({ channel: sub.channel, cid: this.cid, dropped: this.dropped }, 'stream queue has room again; items were dropped');
    this.dropped = 0;
    this.queue.push({ p, channel: sub.channel, skipped, bytes });
    this.queuedBytes += bytes;
    if (this.state !== 'holding') return;
    if (this.ctx.turn) this.ctx.turn.add(this);
    else this.pump();
  }

  protected override onCredit(): void {
    this.lastCredit = this.ctx.wheel.turnNow();
    super.onCredit();
  }

  /** End of the turn the items arrived in (TurnQueue). */
  runTurn(): void { if (this.state === 'holding') this.pump(); }

  /**
   * Sends queued items while the client has credits. Every item that fits the credits goes
   * out in one data packet (Pushpin coalesces the same way), so a client that fell behind
   * catches up in a few packets instead of one per item. With no credits, items wait here
   * (the 100-item bound then applies) and go out as soon as credits arrive.
   */
  protected override pump(): void {
    if (this.hopWhenDrained && this.session.buffered === 0) {
      this.hopWhenDrained = false;
      this.nextHop();
      return;
    }
    if (this.batch || this.queue.length === 0) return; // nothing to send, or already pumping (re-entered from an item's side effects)
    const s = this.session;
    this.batch = batchPool.pop() ?? newBatch();
    try {
      while (this.state === 'holding' && this.queue.length && !s.ended && s.buffered === 0 && !this.released) {
        const q = this.queue[0]!;
        // an item that does not fit waits for credits, unless it is alone: then the session splits it
        if (q.bytes > 0 && q.bytes > s.credits - this.batch.bytes && (this.batch.bytes > 0 || s.credits <= 0)) break;
        this.queue.shift();
        this.queuedBytes -= q.bytes;
        this.process(q);
      }
    } finally {
      this.flushBatch();
    }
  }

  /** One queued item: prev-id check, filters, write (Pushpin's processPublishQueue + processItem). */
  private process(q: Queued): void {
    const item = q.p.item;
    const sub = this.subs.get(q.channel);
    if (!sub) return; // no longer subscribed
    if (sub.prevId !== undefined && sub.prevId !== item.prevId) {
      this.ctx.log.debug({ cid: this.cid, channel: q.channel, got: item.prevId, expected: sub.prevId }, 'last ID inconsistency, fetching next link');
      this.ctx.seq?.lastIds.delete(q.channel);
      this.clearQueue();
      this.update('low');
      return;
    }
    const f = item.formats.httpStream!;
    if (f.contentFilters !== undefined && !q.skipped) {
      const mismatch = contentFilterMismatch(sub.filters, f.contentFilters);
      if (mismatch !== undefined) { this.doError(mismatch); return; }
    }
    if (sub.prevId !== undefined) {
      if (item.id !== undefined) sub.prevId = item.id;
      else delete sub.prevId;
    }
    if (q.skipped) return;
    if (f.action === 'hint') {
      this.clearQueue();
      this.update('high');
      return;
    }
    if (f.action === 'close') {
      this.state = 'closing';
      this.clearQueue();
      this.flushBatch();
      this.session.write(EMPTY, false);
      this.finish();
      return;
    }
    let content = f.content;
    let seg: Buffer | undefined;
    const cf = sub.filters.length ? contentFilterNames(sub.filters) : NO_FILTERS;
    if (cf.length) {
      try {
        content = applyContentFilters(cf, content, this.filterContext(item));
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        this.ctx.log.warn({ cid: this.cid, channel: q.channel, err: err.message }, 'filter error: item dropped');
        if (this.origin?.debug) this.doError(`filter error: ${err.message}`);
        return;
      }
    } else if (this.ctx.sendRaw) {
      seg = q.p.streamSegment;
    }
    if (content.length > 0) this.send(content, seg);
    const t = this.instruct.nextLink?.timeout;
    if (this.nextUri !== undefined && t !== undefined) {
      this.activeChannels.add(q.channel);
      if (this.activeChannels.size >= this.subs.size) {
        // every channel had activity: this session skips the coming refetch
        this.activeChannels.clear();
        this.ctx.seq?.linkTimers.register(this, t, this.nextUri, true);
      }
    }
  }

  private clearQueue(): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  /** Writes one chunk; inside `pump` it joins the batch that goes out as one packet. */
  private send(content: Buffer, seg: Buffer | undefined, shared = true): void {
    this.lastWrite = this.ctx.wheel.turnNow();
    const b = this.batch;
    if (b && shared) {
      if (b.n === 0) {
        b.first = content;
        b.firstSeg = seg;
      } else {
        if (b.n === 1) { b.parts.push(b.first!); b.segs.push(b.firstSeg); }
        b.parts.push(content);
        b.segs.push(seg);
      }
      b.n++;
      b.bytes += content.length;
      return;
    }
    this.sendNow(content, seg, shared);
  }

  /** Sends what `pump` collected: one data packet (the session splits it if credits fall short). */
  private flushBatch(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = undefined;
    try {
      if (b.n === 0 || this.session.ended) return;
      if (b.n === 1) { this.sendNow(b.first!, b.firstSeg); return; }
      if (!this.ctx.sendRaw) { this.sendNow(Buffer.concat(b.parts, b.bytes), undefined); return; }
      const seg = joinedSegment(b.parts, b.segs, b.bytes);
      // the joined segment is `4:body,<n>:<bytes>,`: the content is its middle
      const start = seg.length - 1 - b.bytes;
      this.sendNow(seg.subarray(start, seg.length - 1), seg);
    } finally {
      if (b.n > 1) { b.parts.length = 0; b.segs.length = 0; }
      b.n = 0;
      b.first = b.firstSeg = undefined;
      b.bytes = 0;
      if (batchPool.length < 8) batchPool.push(b);
    }
  }

  /**
   * Writes one chunk: a pre-encoded packet when credits cover it (merged with the other
   * subscribers' packets when `seg` is an item's shared segment), else through the session queue.
   */
  private sendNow(content: Buffer, seg: Buffer | undefined, shared = true): void {
    const s = this.session;
    const peer = s.peer;
    if (seg && this.ctx.sendRaw && peer !== undefined && s.credits >= content.length && s.buffered === 0) {
      s.credits -= content.length;
      s.lastSent = this.lastWrite;
      if (shared && this.ctx.sendShared && s.peerMulti) {
        this.ctx.sendShared(peer, seg, s.id, s.outSeq++);
        return;
      }
      this.address ??= encodeAddressSegment(this.ctx.instanceId, s.id);
      this.ctx.sendRaw(peer, encodeDataPacket(this.address, s.outSeq++, seg, true));
      return;
    }
    s.write(content, true);
  }

  /**
   * Ends the response after an error (grip.md §12 runtime errors): the error text is appended
   * in debug mode, then the body ends cleanly.
   */
  private doError(message: string): void {
    this.ctx.log.warn({ cid: this.cid, err: message, uri: this.currentUri }, 'held stream ended with error');
    this.state = 'closing';
    this.clearQueue();
    this.flushBatch();
    if (!this.session.ended) {
      if (this.origin?.debug) this.session.write(Buffer.from(`\n\n${message}\n`), true);
      this.session.write(EMPTY, false);
    }
    this.finish();
  }

  // ---- holding and next links ----

  /** After the initial response or a next link's answer: (re)subscribe and hold (Pushpin's prepareToSendQueueOrHold). */
  private prepareToHold(first: boolean): void {
    if (this.nextUri === undefined) {
      const c = this.instructChannels().find((x) => x.prevId !== undefined);
      if (c) { this.doError(`channel '${c.channel}' specifies prev-id, but no next link found`); return; }
    }
    if (!first) this.applyChannels();
    if (first && this.lastIdConflict('at hold, fetching next link')) {
      this.state = 'holding';
      this.update('low');
      return;
    }
    // drop queued items that do not follow the new hold
    while (this.queue.length) {
      const q = this.queue[0]!;
      const sub = this.subs.get(q.channel);
      if (sub && (sub.prevId === undefined || sub.prevId === q.p.item.prevId)) break;
      this.queue.shift();
      this.queuedBytes -= q.bytes;
    }
    this.state = 'holding';
    if (this.instruct.keepAlive && !this.kaTimer) this.scheduleKeepAlive(this.newPeriod());
    this.activeChannels.clear();
    const t = this.instruct.nextLink?.timeout;
    if (this.nextUri !== undefined && t !== undefined) this.ctx.seq?.linkTimers.register(this, t, this.nextUri);
    this.pump();
    const again = this.needUpdate;
    this.needUpdate = undefined;
    if (again && this.state === 'holding') this.update(again);
  }

  /** Channel subscriptions of the current instruct (route prefix applied). */
  private instructChannels(): ChannelSub[] {
    const max = this.ctx.connectionSubscriptionMax ?? 20;
    const out = new Map<string, ChannelSub>();
    for (const c of this.instruct.channels) {
      const name = this.prefix + c.name;
      if (out.has(name) || out.size >= max) continue;
      out.set(name, { channel: name, filters: c.filters, ...(c.prevId !== undefined ? { prevId: c.prevId } : {}) });
    }
    return [...out.values()];
  }

  /** Diffs subscriptions against the current instruct: unsubscribe removed, subscribe added, update kept. */
  private applyChannels(): void {
    const want = this.instructChannels();
    const names = new Set(want.map((c) => c.channel));
    for (const ch of [...this.subs.keys()]) {
      if (names.has(ch)) continue;
      this.subs.delete(ch);
      this.channelNames.delete(ch);
      this.ctx.hub.unsubscribe(this, ch);
    }
    for (const c of want) {
      const cur = this.subs.get(c.channel);
      if (cur) {
        // ChannelSub.filters is readonly: replace the object, and tell the hub (its fan-out
        // plans hold the ChannelSub objects)
        this.subs.set(c.channel, c);
        this.ctx.hub.subscribe(this, c.channel);
        continue;
      }
      this.subs.set(c.channel, c);
      this.channelNames.add(c.channel);
      this.ctx.hub.subscribe(this, c.channel);
    }
    this.activeChannels.clear();
  }

  /** Fetch the next link (now, or when the update limiter allows). */
  update(priority: 'low' | 'high'): void {
    if (this.released || this.state === 'closing') return;
    if (this.state === 'fetching' || this.state === 'retry-wait') {
      if (this.needUpdate !== 'high') this.needUpdate = priority;
      return;
    }
    if (this.state === 'waiting') {
      if (priority === 'low') return;
      this.ctx.seq?.limiter.remove(this);
      this.state = 'holding';
    }
    this.needUpdate = undefined;
    if (this.nextUri === undefined) return; // can't update without a link
    this.ctx.seq?.linkTimers.unregister(this);
    if (priority === 'high' || !this.ctx.seq) { this.doUpdate(); return; }
    this.state = 'waiting';
    this.ctx.seq.limiter.add(this.nextUri, this);
  }

  /** The update limiter's turn (or a high-priority update): fetch now. */
  doUpdate(): void {
    if (this.released || this.state === 'closing') return;
    this.state = 'fetching';
    this.requestNextLink();
  }

  private requestNextLink(): void {
    const uri = this.nextUri;
    const rq = this.ctx.seq?.requester;
    if (uri === undefined) { this.doError('Failed to retrieve next link.'); return; }
    if (!rq) { this.doError('Instruct contained link, but handler not configured for outbound requests.'); return; }
    this.state = 'fetching';
    const seq = ++this.fetchSeq;
    const host = authorityOf(uri);
    const headers: Array<[string, string]> = host ? [['Host', host]] : [];
    headers.push(...gripLastHeaders(this.subs.values(), this.prefix));
    this.ctx.log.debug({ cid: this.cid, uri, gripLast: headers.length - (host ? 1 : 0) }, 'fetching next link');
    rq.request(this.routed({ method: 'GET', uri, headers }), true).then(
      (r) => { if (seq === this.fetchSeq) this.guarded(() => this.onNextResponse(uri, r)); },
      (err: Error) => { if (seq === this.fetchSeq) this.guarded(() => this.onNextFailure(uri, err.message)); },
    );
  }

  private guarded(fn: () => void): void {
    if (this.released || this.state === 'closing') return;
    try { fn(); } catch (err) {
      this.ctx.log.error({ cid: this.cid, err: String(err) }, 'next link handling failed');
      this.doError('Failed to retrieve next link.');
    }
  }

  private onNextResponse(uri: string, r: InResponse): void {
    if (r.code < 200 || r.code >= 300) { this.onNextFailure(uri, `status ${r.code}`); return; }
    let ins: Instruct;
    try {
      ins = parseInstruct({ code: r.code, reason: r.reason, headers: r.headers, body: r.body });
    } catch (err) {
      if (!(err instanceof GripInstructError)) throw err;
      this.doError(err.message);
      return;
    }
    if (ins.hold === 'response') { this.doError('Next link returned non-stream hold.'); return; }
    this.instruct = ins;
    this.meta = ins.meta;
    let body = r.body;
    const filters = [...new Set(ins.channels.flatMap((c) => c.filters.filter((f) => f === 'build-id')))];
    if (filters.length && body.length) {
      try {
        body = applyResponseFilters(filters, body, { subMeta: ins.meta, pubMeta: {}, channels: new Set(), prevIds: {} });
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        this.doError(`filter error: ${err.message}`);
        return;
      }
    }
    this.retries = 0;
    this.ctx.log.debug({ cid: this.cid, uri, code: r.code, bytes: body.length, hold: ins.hold }, 'next link answered');
    if (body.length) {
      this.lastWrite = this.ctx.wheel.now();
      this.session.write(body, true);
    }
    this.currentUri = uri;
    this.nextUri = ins.nextLink ? resolveLink(this.currentUri, ins.nextLink.uri) : undefined;
    if (ins.nextLink && this.nextUri === undefined) { this.doError('Grip-Link contains invalid link'); return; }
    if (ins.hold === 'stream') {
      this.emptyHops = 0;
      if (!ins.keepAlive) { this.ctx.wheel.cancel(this.kaTimer); this.kaTimer = undefined; }
      this.prepareToHold(false);
      return;
    }
    // no hold: continue with the next link, or end the response
    if (this.nextUri === undefined) {
      this.state = 'closing';
      this.clearQueue();
      this.session.write(EMPTY, false);
      this.finish();
      return;
    }
    this.emptyHops = body.length ? 0 : this.emptyHops + 1;
    this.state = 'fetching';
    if (this.session.buffered > 0) { this.hopWhenDrained = true; return; }
    this.nextHop();
  }

  /** Next no-hold hop; a chain of empty answers is paced so a looping backend cannot spin us. */
  private nextHop(): void {
    if (this.released || this.state === 'closing') return;
    const over = this.emptyHops - EMPTY_HOPS_BEFORE_PACING;
    if (over < 0) { this.requestNextLink(); return; }
    const delay = Math.min(EMPTY_HOP_PACE_MAX_MS, 100 * 2 ** Math.min(over, 10));
    if (over === 0) this.ctx.log.warn({ cid: this.cid, uri: this.nextUri, hops: this.emptyHops }, 'next links keep answering nothing without a hold; pacing fetches');
    this.state = 'retry-wait';
    this.retryTimer = this.ctx.wheel.schedule(delay, () => { this.retryTimer = undefined; if (!this.released) this.requestNextLink(); });
  }

  private onNextFailure(uri: string, why: string): void {
    if (this.retries < NEXT_LINK_RETRY_MAX) {
      const delay = retryDelay(this.retries, this.ctx.seq?.retryBaseMs ?? NEXT_LINK_RETRY_BASE_MS);
      this.retries++;
      this.ctx.log.info({ cid: this.cid, uri, err: why, retry: this.retries, delayMs: delay }, 'failed to retrieve next link, trying again');
      this.state = 'retry-wait';
      this.retryTimer = this.ctx.wheel.schedule(delay, () => { this.retryTimer = undefined; if (!this.released) this.requestNextLink(); });
      return;
    }
    this.ctx.log.warn({ cid: this.cid, uri, err: why, retries: this.retries }, 'failed to retrieve next link, giving up');
    this.doError('Failed to retrieve next link.');
  }

  // ---- keep-alive (grip.md §5.4) ----

  private newPeriod(): number {
    const ka = this.instruct.keepAlive!;
    return Math.max(1, ka.timeout * 1000 - Math.floor(Math.random() * 1000));
  }

  private scheduleKeepAlive(delay: number): void {
    this.kaPeriod = delay;
    this.kaTimer = this.ctx.wheel.schedule(delay, () => { this.kaTimer = undefined; this.onKeepAlive(); });
  }

  private onKeepAlive(): void {
    const ka = this.instruct.keepAlive;
    if (this.released || this.state === 'closing' || !ka || this.session.ended) return;
    const now = this.ctx.wheel.now();
    if (ka.mode === 'idle') {
      const due = this.lastWrite + this.kaPeriod;
      if (now + this.ctx.wheel.tickMs < due) {
        // something was written since: wait a full period after it
        this.kaTimer = this.ctx.wheel.schedule(due - now, () => { this.kaTimer = undefined; this.onKeepAlive(); });
        return;
      }
    }
    if (this.queue.length === 0 && this.session.buffered === 0) {
      if (this.ctx.sendRaw && this.kaSeg?.data !== ka.data) this.kaSeg = { data: ka.data, seg: encodeBodySegment(ka.data) };
      this.send(ka.data, this.kaSeg?.seg, false);
    }
    this.scheduleKeepAlive(this.newPeriod());
  }
}
