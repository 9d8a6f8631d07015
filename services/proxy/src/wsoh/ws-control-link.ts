/**
 * The proxy's end of the WS-control channel (architecture.md §5.3, websocket-over-http.md
 * §7.5): registers GRIP WebSocket sessions with the handler (`here`), refreshes them
 * (`keep-alive`), forwards control messages (`grip`) and implicit subscriptions, says `gone`,
 * and dispatches the handler's items (`send`, `close`, `detach`, `keep-alive-setup`,
 * `refresh`, `cancel`) to the sessions by connection id.
 */
import { decodeWsControlPacket, encodeWsControlPacket, type WsControlItem } from '@pushpin-ts/zhttp';
import type { Log } from '../log.js';

/** Seconds a session lives in the handler without a refresh. */
export const SESSION_TTL = 60;
/** How often every session is refreshed. */
export const REFRESH_MS = 20_000;
/** Items per packet. */
const MAX_ITEMS = 128;

/** What a session does with the handler's items. */
export interface WsControlTarget {
  onHandlerItem(item: WsControlItem): void;
}

export interface SessionInfo {
  uri: string;
  route: string;
  channelPrefix: string;
  debug: boolean;
  trusted: boolean;
  logLevel?: number;
}

export interface WsControlOutput { send(frame: Buffer): void }

export class WsControlLink {
  private readonly sessions = new Map<string, WsControlTarget>();
  private pending: WsControlItem[] = [];
  private flushScheduled = false;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly instanceId: string, private readonly out: WsControlOutput | undefined, private readonly log: Log) {}

  /** Whether a handler can be told about sessions at all. */
  get enabled(): boolean { return this.out !== undefined; }

  has(cid: string): boolean { return this.sessions.has(cid); }
  get size(): number { return this.sessions.size; }

  start(): void {
    this.refreshTimer ??= setInterval(() => this.refreshAll(), REFRESH_MS);
    this.refreshTimer.unref();
  }

  stop(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  /** Registers a session with the handler. */
  register(cid: string, info: SessionInfo, target: WsControlTarget): void {
    this.sessions.set(cid, target);
    // as Pushpin 1.36: `{cid, type: here, uri, route, ttl: 60}` (+ channel-prefix when set)
    const it: WsControlItem = { cid, type: 'here', uri: info.uri, route: info.route, ttl: SESSION_TTL };
    if (info.channelPrefix) it.channelPrefix = info.channelPrefix;
    if (info.debug) it.debug = true;
    if (info.trusted) it.trusted = true;
    if (info.logLevel !== undefined) it.logLevel = info.logLevel;
    this.queue(it);
  }

  /** The session is over: the handler forgets it. */
  unregister(cid: string): void {
    if (!this.sessions.delete(cid)) return;
    this.queue({ cid, type: 'gone' });
  }

  /** Forwards a `c:` control message (the JSON after the prefix). */
  grip(cid: string, json: Buffer): void {
    if (this.sessions.has(cid)) this.queue({ cid, type: 'grip', message: json });
  }

  /** The keep-alive timer fired and the handler holds the content (Pushpin 1.36's handler). */
  needKeepAlive(cid: string): void {
    if (this.sessions.has(cid)) this.queue({ cid, type: 'need-keep-alive' });
  }

  /** Implicit `sub=` subscription (channel without route prefix). */
  subscribe(cid: string, channel: string): void {
    if (this.sessions.has(cid)) this.queue({ cid, type: 'subscribe', channel });
  }

  /** A packet from the handler's PUSH (ws-control-in). */
  onFrame(frames: Buffer[]): void {
    const frame = frames[frames.length - 1];
    if (!frame) return;
    let items: WsControlItem[];
    try {
      items = decodeWsControlPacket(frame).items;
    } catch (err) {
      this.log.warn({ err: (err as Error).message, bytes: frame.length }, 'malformed ws-control packet from handler ignored');
      return;
    }
    for (const it of items) {
      const s = this.sessions.get(it.cid);
      if (!s) {
        this.log.debug({ cid: it.cid, type: it.type }, 'ws-control item for unknown session ignored');
        continue;
      }
      try {
        s.onHandlerItem(it);
      } catch (err) {
        this.log.error({ cid: it.cid, type: it.type, err: (err as Error).message }, 'ws-control item handling failed');
      }
    }
  }

  private refreshAll(): void {
    for (const cid of this.sessions.keys()) this.pending.push({ cid, type: 'keep-alive', ttl: SESSION_TTL });
    this.flush();
  }

  private queue(it: WsControlItem): void {
    if (!this.out) return;
    this.pending.push(it);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // items of one event-loop turn go in one packet, in order
    queueMicrotask(() => { this.flushScheduled = false; this.flush(); });
  }

  private flush(): void {
    if (!this.out) { this.pending = []; return; }
    while (this.pending.length) {
      const items = this.pending.splice(0, MAX_ITEMS);
      try {
        this.out.send(encodeWsControlPacket({ from: this.instanceId, items }));
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'cannot send ws-control packet');
      }
    }
  }
}
