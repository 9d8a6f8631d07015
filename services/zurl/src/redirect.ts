import type { Header } from '@pushpin-ts/zhttp';
import type { RequestTarget } from './request-target.js';

/** Redirects followed at most (then `too-many-redirects`). */
export const MAX_REDIRECTS = 8;

const REDIRECT_CODES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** The next request after a redirect response. */
export interface RedirectStep {
  target: RequestTarget;
  body: Buffer | null;
}

/** Whether a response asks to be followed. */
export function isRedirect(code: number, location: string | undefined): boolean {
  return REDIRECT_CODES.has(code) && location !== undefined && location !== '';
}

const dropNames = (headers: readonly Header[], names: readonly string[]): Header[] =>
  headers.filter(([n]) => !names.includes(n.toLowerCase()));

/**
 * Computes the request that follows a redirect, as curl does for zurl: 303 (and 301/302 after
 * a POST) become GET without a body; 307/308 repeat method and body. Within the same origin the
 * dial target (connect-host/port) is kept; on another origin the Location host is dialled and
 * Host, Authorization and Cookie are dropped. Returns undefined when the Location is unusable
 * (unparsable or not http/https).
 *
 * @example nextRedirect(t, Buffer.from('x'), 303, '/done') // GET /done on the same origin
 */
export function nextRedirect(cur: RequestTarget, body: Buffer | null, code: number, location: string): RedirectStep | undefined {
  let url: URL;
  try {
    url = new URL(location, cur.url);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  let method = cur.method;
  let headers = cur.headers;
  let nextBody = body;
  if ((code === 303 && method !== 'HEAD') || ((code === 301 || code === 302) && method === 'POST')) {
    method = 'GET';
    nextBody = null;
    headers = dropNames(headers, ['content-length', 'content-type', 'content-encoding']);
  }
  const tls = url.protocol === 'https:';
  const origin = `${url.protocol}//${url.host}`;
  const port = url.port !== '' ? Number(url.port) : tls ? 443 : 80;
  const sameOrigin = origin === cur.origin;
  if (!sameOrigin) headers = dropNames(headers, ['host', 'authorization', 'cookie']);
  return {
    target: {
      ...cur,
      method,
      url,
      origin,
      path: `${url.pathname || '/'}${url.search}`,
      tls,
      connectHost: sameOrigin ? cur.connectHost : url.hostname.replace(/^\[|\]$/g, ''),
      connectPort: sameOrigin ? cur.connectPort : port,
      trustConnectHost: sameOrigin ? cur.trustConnectHost : false,
      headers,
    },
    body: nextBody,
  };
}
