import { ZhttpResponder, type ResponderLink, type ResponderSession } from '@pushpin-ts/zhttp';
import { HttpSession } from './http-session.js';
import { OriginPools } from './origin.js';
import { isHostAllowed } from './policy.js';
import { kindOfUri, toRequestTarget, type RequestTarget } from './request-target.js';
import type { SessionContext, ZurlLog } from './session-context.js';
import { WsSession } from './ws-session.js';
import type { ZurlSettings } from './zurl-conf.js';

const CONNECT_TIMEOUT_MS = 10_000;
const KEEPALIVE_TIMEOUT_MS = 4_000;
const IDLE_POOL_MS = 120_000;
const MAX_HEADER_SIZE = 64 * 1024;

/**
 * The zurl role: a ZHTTP responder (sessions keyed by id only) that turns each new session
 * into an outbound HTTP request or WebSocket, within `max_open_requests`.
 */
export class ZurlApp {
  readonly responder: ZhttpResponder;
  private readonly pools: OriginPools;
  private openCount = 0;

  /** `idleGc`: told of every new session (idle-gc.ts). */
  constructor(private readonly settings: Readonly<ZurlSettings>, link: ResponderLink, private readonly log: ZurlLog, private readonly idleGc?: { touch(): void }) {
    this.pools = new OriginPools({
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      keepAliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
      idlePoolMs: IDLE_POOL_MS,
      maxHeaderSize: MAX_HEADER_SIZE,
    });
    this.responder = new ZhttpResponder(link, {
      instanceId: settings.instanceId,
      log,
      keyByIdOnly: true,
      onSession: (s) => this.onSession(s),
    });
    // a bug in a callback must not end the transport's receive loops
    const dispatch = link.onPayload;
    link.onPayload = (payload, via) => {
      try {
        dispatch(payload, via);
      } catch (err) {
        log.error({ err: (err as Error).stack ?? String(err), via }, 'zurl: error while handling a packet');
      }
    };
  }

  /** Sessions currently performing a request. */
  get openRequests(): number { return this.openCount; }

  start(): void { this.responder.start(); }

  private onSession(s: ResponderSession): void {
    const p = s.request!;
    this.idleGc?.touch();
    const kind = kindOfUri(p.uri ?? '');
    if (!kind) {
      this.log.warn({ id: s.id, uri: p.uri }, 'zurl: unsupported uri scheme, cancelling');
      s.cancel();
      return;
    }
    if (this.openCount >= this.settings.maxOpenRequests) {
      this.log.warn({ id: s.id, uri: p.uri, open: this.openCount }, 'zurl: max_open_requests reached, refusing');
      s.error('undefined-condition');
      return;
    }
    let target: RequestTarget;
    try {
      target = toRequestTarget(p);
    } catch (err) {
      this.log.warn({ id: s.id, uri: p.uri, condition: 'bad-request', err: (err as Error).message }, 'zurl: invalid request');
      s.error('bad-request');
      return;
    }
    if (!p.ignorePolicies && (!isHostAllowed(this.settings, target.url.hostname) || !isHostAllowed(this.settings, target.connectHost))) {
      this.log.warn({ id: s.id, uri: p.uri, connect: target.connectHost, condition: 'policy-violation' }, 'zurl: destination denied by policy');
      s.error('policy-violation');
      return;
    }
    this.openCount++;
    let released = false;
    let sessionLog: ZurlLog | undefined;
    const appLog = this.log;
    const ctx: SessionContext = {
      settings: this.settings,
      // made on first use: most sessions never log at the default level
      get log() { return (sessionLog ??= appLog.child?.({ rid: s.id }) ?? appLog); },
      debugEnabled: appLog.isLevelEnabled?.('debug') ?? true,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      done: () => { if (!released) { released = true; this.openCount--; } },
    };
    try {
      if (kind === 'http') new HttpSession(s, target, this.pools, ctx).start();
      else new WsSession(s, target, ctx).start();
    } catch (err) {
      this.log.error({ id: s.id, err: (err as Error).stack ?? String(err) }, 'zurl: session setup failed');
      ctx.done();
      s.error('undefined-condition');
    }
  }

  /** Cancels open sessions towards their initiators and destroys the connection pools. */
  async close(): Promise<void> {
    this.responder.stop();
    for (const s of [...this.responder.sessions.values()]) {
      s.onend?.('cancel');
      s.cancel();
    }
    await this.pools.destroy();
  }
}
