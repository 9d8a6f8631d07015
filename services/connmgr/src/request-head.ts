import type { Header } from '@pushpin-ts/zhttp';

/** What the server read from a client request line and headers (names lowercased by uWS). */
export interface RequestHead {
  /** Method as the client sent it. */
  method: string;
  /** Raw path (not decoded), starting with '/'. */
  path: string;
  /** Raw query without '?', or undefined when the request target had no '?'. */
  query: string | undefined;
  /** Headers in client order; latin1 strings holding the raw bytes. */
  headers: Header[];
  /** Peer IP as text ('' for unix sockets). */
  peerAddress: string;
}

/** How a request body is framed. */
export type Framing = { ok: true; hasBody: boolean } | { ok: false; why: string };

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * uWS hands strings decoded as UTF-8; ZHTTP strings are latin1 views of raw bytes. Converting
 * back keeps non-ASCII bytes intact (valid UTF-8 round-trips exactly).
 * @example rawLatin1('é') // '\xc3\xa9'
 */
export function rawLatin1(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s;
}

/**
 * Bytes of the request line and header block as the client sent them (give or take
 * whitespace), compared against `--buffer-size`.
 */
export function headBytes(h: RequestHead): number {
  let n = h.method.length + 1 + h.path.length + (h.query === undefined ? 0 : 1 + h.query.length) + 11;
  for (const [k, v] of h.headers) n += k.length + v.length + 4;
  return n + 2;
}

/**
 * Checks request body framing (RFC 9112 §6) and refuses ambiguous forms that could smuggle a
 * second request past a different parser: several differing Content-Length values, a
 * non-numeric length, Transfer-Encoding other than `chunked`, or both headers at once.
 * @example checkFraming([['content-length', '3']]) // { ok: true, hasBody: true }
 */
export function checkFraming(headers: readonly Header[]): Framing {
  let cl: string | undefined;
  let te: string | undefined;
  for (const [k, v] of headers) {
    if (k === 'content-length') {
      for (const part of v.split(',')) {
        const t = part.trim();
        if (!/^\d+$/.test(t)) return { ok: false, why: `invalid Content-Length '${v}'` };
        if (cl !== undefined && cl !== t) return { ok: false, why: 'conflicting Content-Length headers' };
        cl = t;
      }
    } else if (k === 'transfer-encoding') {
      if (te !== undefined) return { ok: false, why: 'repeated Transfer-Encoding' };
      te = v.trim().toLowerCase();
    }
  }
  if (te !== undefined) {
    if (cl !== undefined) return { ok: false, why: 'both Content-Length and Transfer-Encoding' };
    if (te !== 'chunked') return { ok: false, why: `unsupported Transfer-Encoding '${te}'` };
    return { ok: true, hasBody: true };
  }
  return { ok: true, hasBody: cl !== undefined && Number(cl) > 0 };
}

/**
 * The tokens of a comma-separated header value such as `Connection`, trimmed and lowercased,
 * empty ones left out.
 * @example headerTokens('Keep-Alive, Close') // ['keep-alive', 'close']
 */
export function headerTokens(v: string): string[] {
  const out: string[] = [];
  for (const tok of v.split(',')) {
    const t = tok.trim().toLowerCase();
    if (t) out.push(t);
  }
  return out;
}

/** Value of the first header named `name` (lowercase), if any. */
export function headerValue(headers: readonly Header[], name: string): string | undefined {
  for (const [k, v] of headers) if (k.toLowerCase() === name) return v;
  return undefined;
}

/**
 * Absolute URI for the first ZHTTP packet: scheme, Host header, then the raw path and query.
 * @example requestUri('http', 'example.com', '/a%20b', 'x=1') // 'http://example.com/a%20b?x=1'
 */
export function requestUri(scheme: string, host: string, path: string, query: string | undefined): string {
  return `${scheme}://${host}${path}${query === undefined ? '' : `?${query}`}`;
}
