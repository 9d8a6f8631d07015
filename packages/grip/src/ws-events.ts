/**
 * application/websocket-events bodies (websocket-over-http.md §2):
 * `TYPE [hexlen]\r\n[content\r\n]` repeated.
 */

import { WsEventsError } from './errors.js';
import { qtToInt } from './value-util.js';

export type WsEventType = 'OPEN' | 'TEXT' | 'BINARY' | 'PING' | 'PONG' | 'CLOSE' | 'DISCONNECT';

export interface WsEvent {
  type: WsEventType;
  /** Absent = no length field on the wire; an empty Buffer is written as `TYPE 0\r\n\r\n`. */
  content?: Buffer;
}

export const WS_EVENTS_CONTENT_TYPE = 'application/websocket-events';

const TYPES: ReadonlySet<string> = new Set(['OPEN', 'TEXT', 'BINARY', 'PING', 'PONG', 'CLOSE', 'DISCONNECT']);
const CRLF = Buffer.from('\r\n');

/**
 * Encodes events; lengths are lowercase hex without leading zeros.
 * @example encodeWsEvents([{ type: 'TEXT', content: Buffer.from('hello') }]).toString() // 'TEXT 5\r\nhello\r\n'
 */
export function encodeWsEvents(events: readonly WsEvent[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of events) {
    if (e.content !== undefined) {
      parts.push(Buffer.from(`${e.type} ${e.content.length.toString(16)}\r\n`, 'latin1'), e.content, CRLF);
    } else {
      parts.push(Buffer.from(`${e.type}\r\n`, 'latin1'));
    }
  }
  return Buffer.concat(parts);
}

/**
 * Decodes a body. Unknown event types are skipped; an empty body gives no events. Content
 * buffers are views into `body`. As in Pushpin the CRLF after content is skipped unchecked.
 * @throws WsEventsError (PP_ERR_WS_EVENTS_MALFORMED) for a line without CRLF, a bad hex
 *   length, or content running past the end of the body.
 * @example decodeWsEvents(Buffer.from('OPEN\r\n')) // [{ type: 'OPEN' }]
 */
export function decodeWsEvents(body: Buffer): WsEvent[] {
  const out: WsEvent[] = [];
  let start = 0;
  while (start < body.length) {
    const at = body.indexOf(CRLF, start);
    if (at === -1) throw new WsEventsError('event line without CRLF');
    const line = body.subarray(start, at).toString('latin1');
    start = at + 2;
    const sp = line.indexOf(' ');
    const type = sp !== -1 ? line.slice(0, sp) : line;
    let content: Buffer | undefined;
    if (sp !== -1) {
      const len = qtToInt(line.slice(sp + 1), 16);
      if (len === undefined || len < 0) throw new WsEventsError(`invalid content length in event line '${line}'`);
      if (start + len > body.length) throw new WsEventsError('event content truncated');
      content = body.subarray(start, start + len);
      start += len + 2;
    }
    if (!TYPES.has(type)) continue;
    out.push(content !== undefined ? { type: type as WsEventType, content } : { type: type as WsEventType });
  }
  return out;
}

/** CLOSE event content: 2-byte big-endian code then UTF-8 reason; empty when no code. */
export function encodeCloseContent(code?: number, reason = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code & 0xffff);
  return Buffer.concat([head, Buffer.from(reason, 'utf8')]);
}

/** Parses CLOSE event content; no code when shorter than 2 bytes. */
export function decodeCloseContent(content: Buffer | undefined): { code?: number; reason: string } {
  if (!content || content.length < 2) return { reason: '' };
  return { code: content.readUInt16BE(0), reason: content.subarray(2).toString('utf8') };
}
