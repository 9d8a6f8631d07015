/**
 * Client → backend event queue of a WebSocket-over-HTTP connection (websocket-over-http.md
 * §4.1): complete client messages wait here while a request is in flight and are batched into
 * the next request, up to {@link MAX_REQUEST_CONTENT} bytes of content (at least one event),
 * or one event per request with `one_event`. Pure: no I/O.
 */
import type { WsEvent } from '@pushpin-ts/grip';
import { MAX_REQUEST_CONTENT } from './woh-http.js';

export class EventQueue {
  private events: WsEvent[] = [];
  private bytes = 0;

  constructor(private readonly maxContent = MAX_REQUEST_CONTENT) {}

  get length(): number { return this.events.length; }
  /** Content bytes queued. */
  get contentBytes(): number { return this.bytes; }

  push(e: WsEvent): void {
    this.events.push(e);
    this.bytes += e.content?.length ?? 0;
  }

  has(type: WsEvent['type']): boolean { return this.events.some((e) => e.type === type); }

  /** Takes the next request's events. */
  take(oneEvent: boolean): WsEvent[] {
    const out: WsEvent[] = [];
    let size = 0;
    while (this.events.length) {
      const e = this.events[0]!;
      const n = e.content?.length ?? 0;
      if (out.length > 0 && (oneEvent || size + n > this.maxContent)) break;
      out.push(e);
      size += n;
      this.events.shift();
      this.bytes -= n;
      if (oneEvent) break;
    }
    return out;
  }

  clear(): void { this.events = []; this.bytes = 0; }
}
