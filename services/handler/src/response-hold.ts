/**
 * `Grip-Hold: response` (long-polling, grip.md §7.2): nothing is sent until the first
 * `http-response` send item (answered with the merged response) or the Grip-Timeout
 * (answered with the backend's original response).
 *
 * Retry (grip.md §9.2): on a prev-id conflict (at hold time or in a published item), on
 * `hint`, on first subscription and on `recover`, the client's original request is sent to
 * the backend again through the proxy with `Grip-Last` for the channels that have a prev-id;
 * the answer is handled like a fresh accept (`resume`).
 */
import {
  applyContentFilters, contentFilterMismatch, contentFilterNames, FilterError,
} from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem } from './hub.js';
import { HeldConnection } from './held-connection.js';
import { publishedResponse } from './response-build.js';
import type { WheelTimer } from './timer-wheel.js';
import { gripLastHeaders, retryHeaders, type InResponse } from './seq/index.js';

/** What a retried long-poll does with the backend's new answer (provided by accept.ts). */
export type RetryResume = (resp: InResponse, pending: ReadonlyArray<PendingItem>) => void;

/** An item published while a retry was in flight, replayed on the session's next hold. */
export interface PendingItem { readonly item: PreparedItem; readonly channel: string }

/** Items queued per session while it is busy (grip.md §7.2 item 6; Pushpin's PUBLISH_QUEUE_MAX). */
export const PENDING_MAX = 100;

export class ResponseHold extends HeldConnection {
  readonly mode = 'response' as const;
  private timer: WheelTimer | undefined;
  private waiting = false;
  private retrying = false;
  private pending: PendingItem[] = [];
  /** Set by accept: continues the session with the retried request's answer. */
  resume: RetryResume | undefined;

  /** Subscribes and starts the Grip-Timeout timer; retries at once on a prev-id conflict. */
  start(): void {
    this.register();
    if (this.origin && this.ctx.seq?.requester && this.lastIdConflict('at accept, retrying')) { this.doUpdate(); return; }
    this.timer = this.ctx.wheel.schedule(this.instruct.timeout * 1000, () => { this.timer = undefined; this.onTimeout(); });
  }

  protected stopTimers(): void {
    this.ctx.wheel.cancel(this.timer);
    this.timer = undefined;
    if (this.waiting) this.ctx.seq?.limiter.remove(this);
    this.waiting = false;
  }

  private onTimeout(): void {
    if (this.released) return;
    const r = this.instruct.response;
    this.ctx.log.debug({ cid: this.cid }, 'long-poll timeout');
    this.session.respond({ code: r.code, reason: r.reason, headers: r.headers }, r.body, false);
    this.finish();
  }

  skipped(p: PreparedItem, sub: ChannelSub): void {
    if (this.released || !p.item.formats.httpResponse) return;
    if (!this.followsPrevId(p, sub)) return;
  }

  deliver(p: PreparedItem, sub: ChannelSub): void {
    if (this.released) return;
    const f = p.item.formats.httpResponse;
    if (!f) return;
    if (this.retrying) {
      // the session stays subscribed while its request is retried; the next hold gets these
      if (this.pending.length < PENDING_MAX) this.pending.push({ item: p, channel: sub.channel });
      else {
        this.ctx.log.warn({ cid: this.cid, channel: sub.channel }, 'long-poll retry in flight: queue full, item dropped');
        this.ctx.hub.reportDropped(sub.channel, this.cid, 'queue');
      }
      return;
    }
    if (!this.followsPrevId(p, sub)) return;
    if (f.action === 'hint') { this.update('high'); return; }
    if (f.action !== 'send') return;
    const mismatch = contentFilterMismatch(sub.filters, f.contentFilters);
    if (mismatch !== undefined) { this.fail(mismatch); return; }
    const r = publishedResponse(this.instruct.response, f);
    let body = r.body;
    const cf = contentFilterNames(sub.filters);
    if (cf.length) {
      try {
        body = applyContentFilters(cf, body, this.filterContext(p.item));
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        this.ctx.log.warn({ cid: this.cid, channel: sub.channel, err: err.message }, 'filter error: item dropped');
        if (this.origin?.debug) this.fail(`filter error: ${err.message}`);
        return;
      }
    }
    this.session.respond({ code: r.code, reason: r.reason, headers: r.headers }, body, false);
    this.finish();
  }

  /** Prev-id check of a published item; a mismatch starts a retry. Advances the prev-id. */
  private followsPrevId(p: PreparedItem, sub: ChannelSub): boolean {
    if (sub.prevId === undefined) return true;
    const item = p.item;
    if (item.prevId !== sub.prevId) {
      this.ctx.log.debug({ cid: this.cid, channel: sub.channel, got: item.prevId, expected: sub.prevId }, 'last ID inconsistency, retrying');
      this.ctx.seq?.lastIds.delete(sub.channel);
      this.update('low');
      return false;
    }
    if (item.id !== undefined) sub.prevId = item.id;
    else delete sub.prevId;
    return true;
  }

  /** Retry the original request (now, or when the update limiter allows). */
  update(priority: 'low' | 'high'): void {
    if (this.released || this.retrying) return;
    if (!this.ctx.seq?.requester || !this.origin || !this.resume) {
      this.ctx.log.info({ cid: this.cid, priority }, 'long-poll retry (hint/update) skipped: no internal request socket');
      return;
    }
    if (this.waiting) {
      if (priority === 'low') return;
      this.ctx.seq.limiter.remove(this);
      this.waiting = false;
    }
    if (priority === 'high') { this.doUpdate(); return; }
    this.waiting = true;
    this.ctx.seq.limiter.add(`retry|${this.origin.request.uri}`, this);
  }

  /** Sends the original request again; the session leaves the hub while it waits. */
  doUpdate(): void {
    this.waiting = false;
    const rq = this.ctx.seq?.requester;
    const origin = this.origin;
    const resume = this.resume;
    if (this.released || this.retrying || !rq || !origin || !resume) return;
    const gripLast = gripLastHeaders(this.subs.values(), origin.channelPrefix);
    this.retrying = true;
    // stays in the hub (items are queued) until the answer replaces this hold or ends it
    this.stopTimers();
    const req = origin.request;
    this.ctx.log.debug({ cid: this.cid, uri: req.uri, gripLast: gripLast.length }, 'retrying long-poll request');
    rq.request(this.routed({
      method: req.method, uri: req.uri, headers: retryHeaders(req.headers, gripLast), body: req.body,
      ...(origin.peerAddress !== undefined ? { peerAddress: origin.peerAddress } : {}),
    })).then(
      (resp) => {
        if (this.session.ended) { this.release(); return; }
        const pending = this.pending;
        this.pending = [];
        // leaves the hub first: a new hold registers under the same cid
        this.release();
        try { resume(resp, pending); } catch (err) {
          this.ctx.log.error({ cid: this.cid, err: String(err) }, 'retried long-poll: handling the answer failed');
          this.retryFailed();
        }
      },
      (err: Error) => {
        if (this.session.ended) { this.release(); return; }
        this.ctx.log.warn({ cid: this.cid, uri: req.uri, err: err.message }, 'retried long-poll request failed');
        this.retryFailed();
      },
    );
  }

  private retryFailed(): void {
    this.released = false; // let fail() run its normal path
    this.fail('Error while proxying to origin.');
  }
}
