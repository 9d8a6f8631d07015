import { STATUS_CODES } from 'node:http';
import type { Header } from '@pushpin-ts/zhttp';
import { headerTokens } from './request-head.js';

/** How to write a ZHTTP response start to an HTTP/1.1 client. */
export interface ResponsePlan {
  /** Status line text after the version, e.g. `404 Nope`. */
  status: string;
  /** Headers to write (hop-by-hop, framing and Date removed). */
  headers: Header[];
  /** Body must not be sent (HEAD, 1xx, 204, 304). */
  noBody: boolean;
  /** Content-Length the responder gave, if valid. */
  contentLength: number | undefined;
  /** The responder asked to close the connection after this response. */
  close: boolean;
  /** Headers dropped because they could break the response (CR/LF in them). */
  rejected: number;
}

// RFC 9110 §7.6.1 plus the framing headers we recompute ourselves.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length']);

/**
 * Plans the client response for a ZHTTP response start.
 * `Date` is dropped because uWS always writes its own (two Date headers would be invalid).
 * @example planResponse(404, 'Nope', [], false).status // '404 Nope'
 */
export function planResponse(code: number, reason: string | undefined, headers: readonly Header[], isHead: boolean): ResponsePlan {
  const drop = new Set(HOP);
  let close = false;
  let contentLength: number | undefined;
  for (const [k, v] of headers) {
    const lk = k.toLowerCase();
    if (lk === 'connection') {
      for (const t of headerTokens(v)) {
        if (t === 'close') close = true;
        else drop.add(t);
      }
    } else if (lk === 'content-length' && /^\s*\d+\s*$/.test(v) && contentLength === undefined) {
      contentLength = Number(v);
    }
  }
  const out: Header[] = [];
  let rejected = 0;
  for (const h of headers) {
    const lk = h[0].toLowerCase();
    if (drop.has(lk) || lk === 'date') continue;
    if (/[\r\n\0]/.test(h[0]) || /[\r\n\0]/.test(h[1]) || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h[0])) { rejected++; continue; }
    out.push(h);
  }
  const r = reason !== undefined && reason !== '' && !/[\r\n]/.test(reason) ? reason : (STATUS_CODES[code] ?? 'Unknown');
  const noBody = isHead || code < 200 || code === 204 || code === 304;
  return { status: `${code} ${r}`, headers: out, noBody, contentLength, close, rejected };
}
