/**
 * Keep-alive messages to a GRIP WebSocket client, as set up by the handler's
 * `keep-alive-setup` item (websocket-over-http.md §7.2 `keep-alive`): `idle` mode sends when
 * nothing went to the client for `timeout`; `interval` mode sends every `timeout`. Each wait is
 * shortened by 0–999 ms of jitter.
 *
 * Two forms of the setup: ours carries the `message`, which is then sent from here; Pushpin
 * 1.36's handler sends only `timeout` and `keep-alive-mode` and keeps the content, so when the
 * timer fires the handler is asked (`need-keep-alive`) and answers with a `send`. A setup with
 * neither turns keep-alives off.
 */
import type { WsControlItem } from '@pushpin-ts/zhttp';

export type ClientMessageType = 'text' | 'binary' | 'ping' | 'pong';

/** `content` undefined: ask the handler for it. */
interface Setup { type: ClientMessageType; content: Buffer | undefined; timeoutMs: number; interval: boolean }

/** Default `timeout` of the keep-alive control message (seconds). */
const DEFAULT_TIMEOUT = 55;

export function messageType(contentType: string | undefined): ClientMessageType {
  return contentType === 'binary' || contentType === 'ping' || contentType === 'pong' ? contentType : 'text';
}

export class ClientKeepAlive {
  private setupData: Setup | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSend = Date.now();

  /** `send` writes one message to the client; `guard` wraps timer callbacks; `ask` requests the content from the handler. */
  constructor(
    private readonly send: (type: ClientMessageType, content: Buffer) => void,
    private readonly guard: (fn: () => void) => () => void,
    private readonly ask: () => void = () => undefined,
  ) {}

  /** Something went to the client (resets the idle timer). */
  touch(): void { this.lastSend = Date.now(); }

  /** Applies a `keep-alive-setup` item; neither `message` nor `timeout` turns keep-alives off. */
  setup(it: Pick<WsControlItem, 'message' | 'contentType' | 'timeout' | 'keepAliveMode'>): void {
    this.stop();
    if (it.message === undefined && it.timeout === undefined) return;
    const timeoutMs = Math.max(1, it.timeout ?? DEFAULT_TIMEOUT) * 1000;
    this.setupData = { type: messageType(it.contentType), content: it.message, timeoutMs, interval: it.keepAliveMode === 'interval' };
    this.arm(timeoutMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.setupData = undefined;
  }

  private arm(delay: number): void {
    const s = this.setupData;
    if (!s) return;
    const jitter = Math.floor(Math.random() * 1000);
    this.timer = setTimeout(this.guard(() => {
      this.timer = undefined;
      if (this.setupData !== s) return;
      const idleFor = Date.now() - this.lastSend;
      if (!s.interval && idleFor < s.timeoutMs - 1000) {
        this.arm(s.timeoutMs - idleFor);
        return;
      }
      if (s.content !== undefined) this.send(s.type, s.content);
      else this.ask();
      this.arm(s.timeoutMs);
    }), Math.max(0, delay - jitter));
  }
}
