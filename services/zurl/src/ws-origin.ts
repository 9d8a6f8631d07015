/**
 * The undici edge for WebSocket backends. undici's WebSocket hides the handshake response, so
 * the connection goes through a private Agent whose interceptor records it: the 101 headers
 * (relayed to the initiator) or the rejecting HTTP response (relayed as a `rejected` error).
 * The interceptor also hides extensions other than permessage-deflate (e.g. GRIP's `grip`)
 * from undici, which would otherwise fail the handshake; they are relayed to the initiator.
 */
import { Agent, WebSocket, ping as wsPing, type Dispatcher } from 'undici';
import type { Header } from '@pushpin-ts/zhttp';
import { makeConnector, rawToHeaders, type DialTarget } from './origin.js';

/** What the backend answered to the handshake. */
export interface HandshakeResponse { code: number; reason: string; headers: Header[]; body: Buffer }

/** Events from a backend WebSocket, in order: open → message* → close, or failed alone. */
export interface WsEvents {
  onOpen(protocol: string, response: HandshakeResponse | undefined): void;
  onMessage(data: Buffer, binary: boolean): void;
  /** `code` undefined = close frame without status. `clean` false = connection dropped. */
  onClose(code: number | undefined, reason: Buffer, clean: boolean): void;
  /** The handshake failed; `response` is the backend's non-101 answer when there was one. */
  onFailed(err: Error, response: HandshakeResponse | undefined): void;
}

export interface WsControl {
  send(data: Buffer, binary: boolean): void;
  ping(body: Buffer): void;
  close(code: number | undefined, reason: string): void;
  /** Drops the connection without a close handshake. */
  terminate(): void;
  readonly bufferedAmount: number;
}

const MAX_REJECT_BODY = 64 * 1024;

/** Splits an extensions header at commas outside quotes. */
export function splitExtensions(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) { if (cur.trim()) out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function extName(ext: string): string { return (ext.split(';')[0] ?? '').trim().toLowerCase(); }

/** Extensions offered by the initiator that we pass on (permessage-deflate is undici's own business). */
export function forwardedExtensions(offer: string | undefined): string | undefined {
  if (offer === undefined) return undefined;
  const kept = splitExtensions(offer).filter((e) => extName(e) !== 'permessage-deflate');
  return kept.length ? kept.join(', ') : undefined;
}

interface Capture { response?: HandshakeResponse }

function captureInterceptor(cap: Capture): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => dispatch(opts, {
    onRequestStart: (c, ctx) => handler.onRequestStart?.(c, ctx),
    onRequestUpgrade: (c, code, headers, socket) => {
      const raw = rawToHeaders(c.rawHeaders as Buffer[] | null);
      cap.response = { code, reason: 'Switching Protocols', headers: raw, body: Buffer.alloc(0) };
      const ext = headers['sec-websocket-extensions'];
      if (ext !== undefined) {
        const deflate = splitExtensions(Array.isArray(ext) ? ext.join(', ') : ext).filter((e) => extName(e) === 'permessage-deflate');
        const h = { ...headers };
        if (deflate.length) h['sec-websocket-extensions'] = deflate.join(', ');
        else delete h['sec-websocket-extensions'];
        headers = h;
      }
      handler.onRequestUpgrade?.(c, code, headers, socket);
    },
    onResponseStart: (c, code, headers, msg) => {
      cap.response = { code, reason: msg ?? '', headers: rawToHeaders(c.rawHeaders as Buffer[] | null), body: Buffer.alloc(0) };
      handler.onResponseStart?.(c, code, headers, msg);
    },
    onResponseData: (c, chunk) => {
      const r = cap.response;
      if (r && r.body.length < MAX_REJECT_BODY) r.body = Buffer.concat([r.body, chunk.subarray(0, MAX_REJECT_BODY - r.body.length)]);
      handler.onResponseData?.(c, chunk);
    },
    onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
    onResponseError: (c, err) => handler.onResponseError?.(c, err),
  });
}

export interface WsOpenOptions {
  target: DialTarget;
  protocols: string[];
  headers: Header[];
  connectTimeoutMs: number;
}

/**
 * Opens a WebSocket to the backend (dialling connect-host/connect-port).
 * Throws synchronously (SyntaxError / TypeError) for an invalid URL, protocol or header.
 */
export function openBackendWebSocket(o: WsOpenOptions, ev: WsEvents): WsControl {
  const cap: Capture = {};
  const agent = new Agent({ connect: makeConnector(o.target, o.connectTimeoutMs), connections: 1, pipelining: 0 });
  const ws = new WebSocket(o.target.url.href, {
    protocols: o.protocols,
    headers: o.headers,
    dispatcher: agent.compose(captureInterceptor(cap)),
  });
  ws.binaryType = 'arraybuffer';
  let opened = false;
  let over = false;
  let lastError: Error | undefined;
  const release = (): void => { void agent.destroy().catch(() => undefined); };
  ws.addEventListener('open', () => {
    opened = true;
    ev.onOpen(ws.protocol, cap.response);
  });
  ws.addEventListener('message', (e) => {
    if (over) return;
    const d: unknown = e.data;
    if (typeof d === 'string') ev.onMessage(Buffer.from(d, 'utf8'), false);
    else if (d instanceof ArrayBuffer) ev.onMessage(Buffer.from(d), true);
    else if (ArrayBuffer.isView(d)) ev.onMessage(Buffer.from(d.buffer, d.byteOffset, d.byteLength), true);
  });
  ws.addEventListener('error', (e) => {
    const err = (e as unknown as { error?: unknown }).error;
    lastError = err instanceof Error ? err : new Error((e as unknown as { message?: string }).message || 'websocket error');
  });
  ws.addEventListener('close', (e) => {
    if (over) return;
    over = true;
    release();
    if (!opened) {
      const resp = cap.response && cap.response.code !== 101 ? cap.response : undefined;
      ev.onFailed(lastError ?? new Error(e.reason || 'websocket handshake failed'), resp);
      return;
    }
    const code = e.code === 1005 || e.code === 1006 ? undefined : e.code;
    ev.onClose(code, Buffer.from(e.reason ?? '', 'utf8'), e.wasClean && e.code !== 1006);
  });
  return {
    send(data, binary) { ws.send(binary ? data : data.toString('utf8')); },
    ping(body) { try { wsPing(ws, body.subarray(0, 125)); } catch { /* not open */ } },
    close(code, reason) {
      // browsers' API only lets a client send 1000 or 3000-4999
      const c = code === 1000 || (code !== undefined && code >= 3000 && code <= 4999) ? code : 1000;
      try { ws.close(c, Buffer.from(reason, 'utf8').length <= 123 ? reason : ''); } catch { ws.close(); }
    },
    terminate() {
      over = true;
      // closing before the handshake finishes aborts it; after, undici still sends a close frame
      try { ws.close(); } catch { /* already closing */ }
      release();
    },
    get bufferedAmount() { return ws.bufferedAmount; },
  };
}
