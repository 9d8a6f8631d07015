import { STATUS_CODES } from 'node:http';
import type { Header, Packet, ResponderSession } from '@pushpin-ts/zhttp';
import { conditionFor, type ZurlCondition } from './conditions.js';
import { ZurlCancelledError, ZurlConnectTimeoutError, ZurlMaxSizeError, ZurlPolicyError, ZurlSessionTimeoutError, ZurlTooManyRedirectsError } from './errors.js';
import type { OriginPools, OutboundControl } from './origin.js';
import { isHostAllowed } from './policy.js';
import { isRedirect, MAX_REDIRECTS, nextRedirect } from './redirect.js';
import { RequestBodyFeed } from './request-body.js';
import { encodingsToUndo, relayedResponseHeaders, ResponseDecoder } from './response-decoder.js';
import { headerValue, withoutHeader, type RequestTarget } from './request-target.js';
import type { SessionContext } from './session-context.js';

const EMPTY = Buffer.alloc(0);

interface Head { code: number; reason: string; headers: Header[] }

/**
 * One HTTP exchange of the zurl role: drives an outbound request from a ZHTTP responder
 * session and streams the response back under the initiator's credits.
 *
 * Order towards the initiator: keep-alive (or credit) → response head + body* → last packet
 * without `more`; or `error` at any point.
 */
export class HttpSession {
  private control: OutboundControl | undefined;
  private feed: RequestBodyFeed | undefined;
  private head: Head | undefined;
  private headSent = false;
  private pending: Buffer[] = [];
  private received = 0;
  private responseDone = false;
  private finished = false;
  private paused = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private startTimer: NodeJS.Timeout | undefined;
  private readonly stream: boolean;
  private readonly maxSize: number | undefined;
  /** Complete request body (undefined while it streams in through `feed`). */
  private body: Buffer | null = null;
  private redirects = 0;
  private decoder: ResponseDecoder | undefined;

  constructor(
    private readonly s: ResponderSession,
    private target: RequestTarget,
    private readonly pools: OriginPools,
    private readonly ctx: SessionContext,
  ) {
    const p = s.request!;
    this.stream = p.stream === true;
    this.maxSize = p.maxSize !== undefined && p.maxSize > 0 ? p.maxSize : undefined;
    // without `stream` the whole response goes out in one packet (zhttp.md §4.2)
    if (!this.stream) s.ignoreCredits = true;
  }

  start(): void {
    const s = this.s;
    const p = s.request!;
    const bufferSize = this.ctx.settings.bufferSize;
    if (p.more) {
      this.feed = new RequestBodyFeed((n) => { this.touch(); s.credit(n); }, Math.min(bufferSize, 65536));
      this.feed.push(p.body ?? EMPTY, true, false);
      // tell the initiator who we are and open the request-body window (zhttp.md §4.2)
      s.credit(bufferSize);
    } else {
      this.body = p.body && p.body.length ? p.body : null;
      // the body is complete: undici sets the real length
      this.target = { ...this.target, headers: withoutHeader(this.target.headers, 'content-length') };
      s.keepAlive();
    }
    s.ondata = (pkt) => this.onInitiatorData(pkt);
    s.oncredit = () => this.onCredit();
    s.onend = (reason) => this.onInitiatorEnd(reason);
    this.armIdle();
    if (p.timeout !== undefined && p.timeout > 0) {
      this.startTimer = setTimeout(() => this.fail(new ZurlConnectTimeoutError()), p.timeout);
    }
    this.dispatch();
  }

  private dispatch(): void {
    const t = this.target;
    if (this.ctx.debugEnabled !== false) this.ctx.log.debug({ method: t.method, uri: t.url.href, connect: `${t.connectHost}:${t.connectPort}`, stream: this.stream, redirects: this.redirects }, 'zurl: request');
    this.control = this.pools.request(t, { method: t.method, path: t.path, headers: t.headers, body: this.feed ? this.feed.stream : this.body }, {
      onResponseStart: (code, reason, hs) => this.onResponseStart(code, reason, hs),
      onResponseData: (chunk) => this.onResponseData(chunk),
      onResponseEnd: () => this.onResponseEnd(),
      onError: (err) => this.fail(err),
    });
  }

  /** Follows a redirect when asked to; true when a new request replaced the current one. */
  private followed(code: number, headers: Header[]): boolean {
    const p = this.s.request!;
    const location = headerValue(headers, 'location');
    if (!p.followRedirects || this.feed || !isRedirect(code, location)) return false;
    if (this.redirects >= MAX_REDIRECTS) { this.fail(new ZurlTooManyRedirectsError()); return true; }
    const next = nextRedirect(this.target, this.body, code, location!);
    if (!next) return false;
    if (!p.ignorePolicies && (!isHostAllowed(this.ctx.settings, next.target.url.hostname) || !isHostAllowed(this.ctx.settings, next.target.connectHost))) {
      this.fail(new ZurlPolicyError());
      return true;
    }
    this.redirects++;
    this.control?.abort(new ZurlCancelledError('redirected'));
    this.target = next.target;
    this.body = next.body;
    this.dispatch();
    return true;
  }

  private onInitiatorData(pkt: Packet): void {
    this.touch();
    if (!this.feed || this.feed.complete) {
      if ((pkt.body?.length ?? 0) > 0 || pkt.more) this.ctx.log.warn({}, 'zurl: request body after the body ended, ignored');
      return;
    }
    this.feed.push(pkt.body ?? EMPTY, pkt.more === true);
  }

  private onInitiatorEnd(reason: string): void {
    if (this.finished) return;
    if (this.ctx.debugEnabled !== false) this.ctx.log.debug({ reason }, 'zurl: session ended by initiator, aborting request');
    this.cleanup();
    this.control?.abort(new ZurlCancelledError());
  }

  private onResponseStart(code: number, reason: string, headers: Header[]): void {
    if (this.finished) return;
    this.touch();
    if (this.followed(code, headers)) return;
    if (this.startTimer) { clearTimeout(this.startTimer); this.startTimer = undefined; }
    const bodyless = this.target.method === 'HEAD' || code === 204 || code === 304;
    const encodings = bodyless ? undefined : encodingsToUndo(headers);
    if (encodings) {
      this.decoder = new ResponseDecoder(encodings, {
        onData: (chunk) => this.deliver(chunk),
        onEnd: () => this.complete(),
        onError: (err) => this.fail(err),
      });
      if (this.paused) this.decoder.pause();
    }
    this.head = { code, reason: reason || STATUS_CODES[code] || '', headers: relayedResponseHeaders(headers, encodings !== undefined) };
    // give a body chunk parsed in the same read a chance to travel with the head
    if (this.stream) setImmediate(() => this.flushHead());
  }

  private flushHead(): void {
    if (this.finished || this.headSent || !this.head) return;
    this.headSent = true;
    const body = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.s.respond(this.head, body, !this.responseDone);
    this.afterWrite();
  }

  private onResponseData(chunk: Buffer): void {
    if (this.finished) return;
    this.touch();
    if (this.decoder) this.decoder.write(chunk);
    else this.deliver(chunk);
  }

  /** Takes (decoded) response body bytes. */
  private deliver(chunk: Buffer): void {
    if (this.finished) return;
    this.received += chunk.length;
    if (this.maxSize !== undefined && this.received > this.maxSize) {
      this.fail(new ZurlMaxSizeError());
      return;
    }
    if (!this.stream || !this.headSent) { this.pending.push(chunk); return; }
    this.s.write(chunk, true);
    this.afterWrite();
  }

  private onResponseEnd(): void {
    if (this.finished) return;
    if (this.startTimer) { clearTimeout(this.startTimer); this.startTimer = undefined; }
    if (this.decoder) this.decoder.end();
    else this.complete();
  }

  /** The whole (decoded) body has been delivered. */
  private complete(): void {
    if (this.finished) return;
    this.responseDone = true;
    if (!this.headSent) {
      this.flushHead();
    } else {
      this.s.write(EMPTY, false);
      this.afterWrite();
    }
  }

  /** Applies back-pressure and finishes once the last packet left. */
  private afterWrite(): void {
    if (this.finished) return;
    if (this.responseDone) {
      // the final packet is queued behind the body; it is gone when nothing is buffered
      if (this.s.buffered === 0) this.finish();
      return;
    }
    if (!this.paused && this.s.buffered >= this.ctx.settings.bufferSize) {
      this.paused = true;
      this.control?.pause();
      this.decoder?.pause();
    }
  }

  private onCredit(): void {
    if (this.finished) return;
    this.touch();
    if (this.responseDone) { this.afterWrite(); return; }
    if (this.paused && this.s.buffered < this.ctx.settings.bufferSize) {
      this.paused = false;
      this.control?.resume();
      this.decoder?.resume();
    }
  }

  private fail(err: Error): void {
    if (this.finished) return;
    const condition: ZurlCondition = conditionFor(err, this.head ? 'response' : 'connect');
    this.ctx.log.warn({ uri: this.target.url.href, connect: `${this.target.connectHost}:${this.target.connectPort}`, condition, err: err.message }, 'zurl: request failed');
    this.cleanup();
    this.control?.abort(err);
    this.s.error(condition);
  }

  private finish(): void {
    if (this.finished) return;
    if (this.ctx.debugEnabled !== false) this.ctx.log.debug({ code: this.head?.code, bytes: this.received }, 'zurl: response done');
    this.cleanup();
    this.s.destroy();
  }

  private cleanup(): void {
    this.finished = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.startTimer) clearTimeout(this.startTimer);
    this.idleTimer = this.startTimer = undefined;
    this.feed?.destroy();
    this.decoder?.destroy();
    this.ctx.done();
  }

  private armIdle(): void {
    this.idleTimer = setTimeout(() => this.fail(new ZurlSessionTimeoutError()), this.ctx.settings.timeoutSec * 1000);
  }

  private touch(): void { this.idleTimer?.refresh(); }
}
