import type { Header, Packet, ResponderSession } from '@pushpin-ts/zhttp';
import { conditionFor } from './conditions.js';
import { headerValue, type RequestTarget } from './request-target.js';
import type { SessionContext } from './session-context.js';
import { forwardedExtensions, openBackendWebSocket, splitExtensions, type HandshakeResponse, type WsControl } from './ws-origin.js';

const EMPTY = Buffer.alloc(0);
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long we wait for the other side's close after relaying one. */
const CLOSE_LINGER_MS = 5_000;
const GRANT_POLL_MS = 50;

// Handshake response headers condure computes itself, or that describe undici's own link.
const NOT_RELAYED: ReadonlySet<string> = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'content-length', 'transfer-encoding']);

/** Response headers for the 101 towards the initiator: the backend's, minus link-level ones. */
export function relayedUpgradeHeaders(headers: readonly Header[]): Header[] {
  const out: Header[] = [];
  for (const [n, v] of headers) {
    const lower = n.toLowerCase();
    if (NOT_RELAYED.has(lower)) continue;
    if (lower === 'sec-websocket-extensions') {
      const kept = splitExtensions(v).filter((e) => !/^permessage-deflate\b/i.test(e));
      if (kept.length) out.push([n, kept.join(', ')]);
      continue;
    }
    out.push([n, v]);
  }
  return out;
}

/**
 * One WebSocket session of the zurl role: a backend WebSocket bridged to a ZHTTP responder
 * session. Messages map to data packets (content-type text/binary), close frames to `close`
 * packets; credits are granted as messages reach the backend and respected towards the initiator.
 */
export class WsSession {
  private ws: WsControl | undefined;
  private open = false;
  private finished = false;
  private parts: Buffer[] = [];
  private partType: 'text' | 'binary' = 'text';
  /** Whole messages from the initiator waiting for the backend to open. */
  private early: Array<{ data: Buffer; binary: boolean; size: number }> = [];
  private owed = 0;
  private grantTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private initiatorClosed = false;
  private backendClosed = false;
  /** A close/error to send once queued messages have gone out. */
  private pendingEnd: (() => void) | undefined;

  constructor(private readonly s: ResponderSession, private readonly target: RequestTarget, private readonly ctx: SessionContext) {}

  start(): void {
    const s = this.s;
    const p = s.request!;
    s.keepAlive();
    s.ondata = (pkt) => this.onInitiatorData(pkt);
    s.onclose = (code, reason) => this.onInitiatorClose(code, reason);
    s.onping = (body) => { this.ws?.ping(body); s.pong(body); this.owe(body.length); };
    s.onpong = (body) => this.owe(body.length);
    s.oncredit = () => this.tryEnd();
    s.onend = (reason) => {
      if (this.finished) return;
      this.ctx.log.debug({ reason }, 'zurl: websocket session ended by initiator');
      this.cleanup();
      this.ws?.terminate();
    };
    const protocols = (p.headers ?? [])
      .filter(([n]) => n.toLowerCase() === 'sec-websocket-protocol')
      .flatMap(([, v]) => v.split(',').map((x) => x.trim()).filter((x) => x !== ''));
    const headers = [...this.target.headers];
    const ext = forwardedExtensions(headerValue(p.headers ?? [], 'sec-websocket-extensions'));
    if (ext !== undefined) headers.push(['Sec-WebSocket-Extensions', ext]);
    this.ctx.log.debug({ uri: this.target.url.href, connect: `${this.target.connectHost}:${this.target.connectPort}` }, 'zurl: websocket');
    this.handshakeTimer = setTimeout(() => this.failOpen('connection-timeout', 'handshake timed out'), p.timeout && p.timeout > 0 ? p.timeout : HANDSHAKE_TIMEOUT_MS);
    try {
      this.ws = openBackendWebSocket({ target: this.target, protocols, headers, connectTimeoutMs: this.ctx.connectTimeoutMs }, {
        onOpen: (_protocol, resp) => this.onOpen(resp),
        onMessage: (data, binary) => this.onBackendMessage(data, binary),
        onClose: (code, reason, clean) => this.onBackendClose(code, reason, clean),
        onFailed: (err, resp) => this.onFailed(err, resp),
      });
    } catch (err) {
      this.failOpen('bad-request', (err as Error).message);
    }
  }

  private onOpen(resp: HandshakeResponse | undefined): void {
    if (this.finished) return;
    this.open = true;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.s.respond({ code: 101, reason: 'Switching Protocols', headers: relayedUpgradeHeaders(resp?.headers ?? []) }, EMPTY, false, { credits: this.ctx.settings.bufferSize });
    for (const m of this.early) { this.ws!.send(m.data, m.binary); this.owe(m.size); }
    this.early = [];
  }

  private onInitiatorData(pkt: Packet): void {
    if (this.finished) return;
    const body = pkt.body ?? EMPTY;
    if (this.parts.length === 0) this.partType = pkt.contentType ?? 'text';
    this.parts.push(body);
    if (pkt.more) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    if (this.initiatorClosed) return;
    const binary = this.partType === 'binary';
    if (!this.open) { this.early.push({ data, binary, size: data.length }); return; }
    this.ws!.send(data, binary);
    this.owe(data.length);
  }

  /** Grants credits for consumed bytes while the backend socket keeps up. */
  private owe(n: number): void {
    this.owed += n;
    this.flushGrant();
  }

  private flushGrant(): void {
    if (this.finished || this.owed === 0) return;
    if ((this.ws?.bufferedAmount ?? 0) >= this.ctx.settings.bufferSize) {
      this.grantTimer ??= setTimeout(() => { this.grantTimer = undefined; this.flushGrant(); }, GRANT_POLL_MS);
      return;
    }
    const n = this.owed;
    this.owed = 0;
    this.s.credit(n);
  }

  private onInitiatorClose(code: number | undefined, reason: Buffer): void {
    if (this.finished) return;
    this.initiatorClosed = true;
    if (this.backendClosed) { this.finish(); return; }
    if (!this.open) { this.cleanup(); this.ws?.terminate(); return; }
    this.ws!.close(code, reason.toString('utf8'));
    this.armLinger();
  }

  private onBackendMessage(data: Buffer, binary: boolean): void {
    if (this.finished) return;
    this.s.write(data, false, binary ? 'binary' : 'text');
    if (this.s.buffered > this.ctx.settings.bufferSize * 10) {
      this.ctx.log.warn({ buffered: this.s.buffered }, 'zurl: initiator not granting credits, websocket dropped');
      this.cleanup();
      this.ws?.terminate();
      this.s.error('undefined-condition');
    }
  }

  private onBackendClose(code: number | undefined, reason: Buffer, clean: boolean): void {
    if (this.finished) return;
    this.backendClosed = true;
    if (!clean) {
      this.ctx.log.warn({ uri: this.target.url.href }, 'zurl: websocket backend connection dropped');
      this.pendingEnd = () => { this.cleanup(); this.s.error('remote-connection-failed'); };
    } else {
      this.pendingEnd = () => {
        this.s.close(code, reason);
        if (this.initiatorClosed) this.finish();
      };
    }
    // do not wait forever for credits or for the initiator's close
    this.armLinger();
    this.tryEnd();
  }

  /** Sends the pending close/error once every queued message has left. */
  private tryEnd(): void {
    if (this.finished || !this.pendingEnd || this.s.buffered > 0) return;
    const f = this.pendingEnd;
    this.pendingEnd = undefined;
    f();
  }

  private onFailed(err: Error, resp: HandshakeResponse | undefined): void {
    if (this.finished) return;
    if (resp) {
      this.ctx.log.warn({ uri: this.target.url.href, code: resp.code }, 'zurl: websocket rejected by backend');
      this.cleanup();
      this.s.error('rejected', { code: resp.code, reason: resp.reason, headers: resp.headers, body: resp.body });
      return;
    }
    let condition = conditionFor(err, 'connect');
    if (condition === 'undefined-condition') condition = 'remote-connection-failed';
    this.failOpen(condition, err.message);
  }

  private failOpen(condition: string, msg: string): void {
    if (this.finished) return;
    this.ctx.log.warn({ uri: this.target.url.href, connect: `${this.target.connectHost}:${this.target.connectPort}`, condition, err: msg }, 'zurl: websocket failed');
    this.cleanup();
    this.ws?.terminate();
    this.s.error(condition);
  }

  private armLinger(): void {
    this.lingerTimer ??= setTimeout(() => { this.ws?.terminate(); this.finish(); }, CLOSE_LINGER_MS);
  }

  private finish(): void {
    if (this.finished) return;
    this.cleanup();
    this.s.destroy();
  }

  private cleanup(): void {
    this.finished = true;
    for (const t of [this.grantTimer, this.handshakeTimer, this.lingerTimer]) if (t) clearTimeout(t);
    this.ctx.done();
  }
}
