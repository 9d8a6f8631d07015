/**
 * GRIP WebSocket control messages (`c:` + JSON, websocket-over-http.md §7.2).
 */

import { WsControlError } from './errors.js';
import { FieldReader, fromBase64, parseJsonBytes, parseStringList } from './value-util.js';

export type WsControlMessageType = 'text' | 'binary' | 'ping' | 'pong';

export type WsControl =
  | { type: 'subscribe'; channel: string; filters: string[] }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'detach' }
  | { type: 'session'; id?: string }
  /** `value` absent (omitted or null) deletes the variable. */
  | { type: 'set-meta'; name: string; value?: string }
  /** No `content` turns keep-alives off. `timeout` in seconds when given (handler default 55). */
  | { type: 'keep-alive'; content?: Buffer; messageType: WsControlMessageType; timeout?: number; mode: 'idle' | 'interval' }
  /** `timeout` in seconds when given (handler default 1). */
  | { type: 'send-delayed'; content?: Buffer; messageType: WsControlMessageType; timeout?: number }
  | { type: 'flush-delayed' };

/** Prefix of a control message in a TEXT frame from the backend. */
export const WS_CONTROL_PREFIX = 'c:';

function fail(message: string): never {
  throw new WsControlError(message);
}

function parseContent(f: FieldReader): { content?: Buffer; messageType: WsControlMessageType; timeout?: number } {
  const t = f.string('message-type');
  let messageType: WsControlMessageType = 'text';
  if (t !== undefined) {
    if (t === 'text' || t === 'binary' || t === 'ping' || t === 'pong') messageType = t;
    else fail(`${f.pn} contains 'message-type' with unknown value`);
  }
  let content: Buffer | undefined;
  if (f.has('content-bin')) {
    const raw = f.raw('content-bin');
    if (typeof raw !== 'string') f.wrongType('content-bin');
    content = fromBase64(raw);
  } else if (f.has('content')) {
    content = f.bytes('content');
  }
  const out: { content?: Buffer; messageType: WsControlMessageType; timeout?: number } = { messageType };
  if (content !== undefined) {
    out.content = content;
    const timeout = f.int('timeout', 0);
    if (timeout !== undefined) out.timeout = timeout;
  }
  return out;
}

/** Parses an already-decoded control object (see {@link parseWsControlMessage}). */
export function parseWsControlValue(v: unknown): WsControl {
  new FieldReader(v, 'grip control packet', fail); // only for the "is not an object" message
  const c: FieldReader = new FieldReader(v, 'grip control object', fail);
  const type = c.string('type', true);
  switch (type) {
    case 'subscribe':
    case 'unsubscribe': {
      const channel = c.string('channel', true);
      if (channel === '') c.invalidValue('channel');
      if (type === 'unsubscribe') return { type, channel };
      const filters = c.list('filters');
      return { type, channel, filters: filters ? parseStringList(filters, 'filters contains value with wrong type', fail) : [] };
    }
    case 'detach':
    case 'flush-delayed':
      return { type };
    case 'session': {
      const id = c.string('id');
      return id !== undefined ? { type, id } : { type };
    }
    case 'set-meta': {
      const name = c.string('name', true);
      if (name === '') c.invalidValue('name');
      // null deletes, like an omitted value (the spec's reading of js-grip usage).
      const value = c.raw('value') === null ? undefined : c.string('value');
      return value !== undefined ? { type, name, value } : { type, name };
    }
    case 'keep-alive': {
      const content = parseContent(c);
      // Pushpin passes the mode through and treats anything but "interval" as idle.
      const mode = c.string('mode') === 'interval' ? 'interval' : 'idle';
      return { type, ...content, mode };
    }
    case 'send-delayed':
      return { type, ...parseContent(c) };
    default:
      return fail(`'type' contains unknown value: ${type}`);
  }
}

/**
 * Parses the JSON after the `c:` prefix.
 * @throws WsControlError (PP_ERR_WS_CONTROL_INVALID) for invalid JSON or an ill-formed
 *   object, with Pushpin's wording (e.g. `grip control object does not contain 'type'`).
 * @example parseWsControlMessage(Buffer.from('{"type":"subscribe","channel":"test"}')) // { type: 'subscribe', channel: 'test', filters: [] }
 */
export function parseWsControlMessage(json: Buffer): WsControl {
  const parsed = parseJsonBytes(json);
  if (!parsed.ok) fail('failed to parse grip control message as JSON');
  return parseWsControlValue(parsed.value);
}
