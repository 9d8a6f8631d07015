/**
 * `Grip-Hold: response` (long-polling, grip.md §7.2): nothing is sent until the first
 * `http-response` send item (answered with the merged response) or the Grip-Timeout
 * (answered with the backend's original response).
 */
import {
  applyContentFilters, contentFilterMismatch, contentFilterNames, FilterError,
} from '@pushpin-ts/grip';
import type { ChannelSub, PreparedItem } from './hub.js';
import { HeldConnection } from './held-connection.js';
import { publishedResponse } from './response-build.js';
import type { WheelTimer } from './timer-wheel.js';

export class ResponseHold extends HeldConnection {
  readonly mode = 'response' as const;
  private timer: WheelTimer | undefined;

  /** Subscribes and starts the Grip-Timeout timer. */
  start(): void {
    this.register();
    this.timer = this.ctx.wheel.schedule(this.instruct.timeout * 1000, () => { this.timer = undefined; this.onTimeout(); });
  }

  protected stopTimers(): void {
    this.ctx.wheel.cancel(this.timer);
    this.timer = undefined;
  }

  private onTimeout(): void {
    if (this.released) return;
    const r = this.instruct.response;
    this.ctx.log.debug({ cid: this.cid }, 'long-poll timeout');
    this.session.respond({ code: r.code, reason: r.reason, headers: r.headers }, r.body, false);
    this.finish();
  }

  deliver(p: PreparedItem, sub: ChannelSub): void {
    if (this.released) return;
    const f = p.item.formats.httpResponse;
    if (!f) return;
    if (f.action === 'hint') {
      this.ctx.log.info({ cid: this.cid, channel: sub.channel }, 'http-response hint ignored (retry not supported yet)');
      return;
    }
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
        return;
      }
    }
    this.session.respond({ code: r.code, reason: r.reason, headers: r.headers }, body, false);
    this.finish();
  }
}
