import type { Route, HttpTarget } from '@pushpin-ts/config';
import type { Header } from '@pushpin-ts/zhttp';
import { applyXff, type XffRule } from './forwarded-for.js';
import { removeHeader, setHeader, withoutHeaders } from './headers.js';

/** Removed from every forwarded request (grip.md §2.1). */
export const REQUEST_HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'accept-encoding', 'content-encoding', 'transfer-encoding', 'expect']);
/** Removed from relayed responses (grip.md §3). */
export const RESPONSE_HOP_BY_HOP: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'content-encoding', 'transfer-encoding']);

/** Pushpin 1.36's exact Grip-Feature value (grip.md §2.3). */
export const GRIP_FEATURE = 'status, session, link:next, filter:skip-self, filter:skip-users, filter:require-sub, filter:build-id, filter:var-subst';

export interface RewriteOptions {
  /** Client sent a valid upstream Grip-Sig (GRIP chaining): keep its Grip-* headers, add none. */
  trusted: boolean;
  /** Handler-originated request (intreq): its Grip-* headers (Grip-Last) are kept. */
  internal: boolean;
  /** Route has `no_grip`: no Grip-Sig / Grip-Feature. */
  noGrip: boolean;
  /** Grip-Sig token to send, when both issuer and key are known. */
  gripSig?: string;
  xff: XffRule;
  peerAddress?: string;
  setXForwardedProtocol: 'true' | 'proto-only' | '';
  acceptXForwardedProtocol: boolean;
  isTls: boolean;
  isWebSocket: boolean;
  /** Route `header=` options; an empty value removes the header. */
  routeHeaders: ReadonlyArray<readonly [string, string]>;
  /** Host header to send. */
  host: string;
}

/**
 * The headers sent to the backend (grip.md §2): hop-by-hop removed, untrusted Grip-* removed,
 * X-Forwarded-Proto/-Protocol and X-Forwarded-For rules applied, Grip-Sig and Grip-Feature
 * set, route headers applied, Host set.
 */
export function rewriteRequestHeaders(client: readonly Header[], o: RewriteOptions): { headers: Header[]; logicalPeer?: string } {
  let hs = withoutHeaders(client, REQUEST_HOP_BY_HOP);
  if (!o.trusted && !o.internal) hs = hs.filter(([k]) => !k.toLowerCase().startsWith('grip-'));

  if (o.setXForwardedProtocol !== '') {
    const names = o.setXForwardedProtocol === 'true' ? ['X-Forwarded-Proto', 'X-Forwarded-Protocol'] : ['X-Forwarded-Proto'];
    const value = o.isWebSocket ? 'wss' : 'https';
    for (const name of names) {
      if (!o.acceptXForwardedProtocol) hs = removeHeader(hs, name);
      if (o.isTls) hs = setHeader(hs, name, value);
    }
  }

  const x = applyXff(hs, o.xff, o.peerAddress);
  hs = x.headers;

  if (!o.trusted && !o.noGrip) {
    if (o.gripSig !== undefined) hs = setHeader(hs, 'Grip-Sig', o.gripSig);
    hs = setHeader(hs, 'Grip-Feature', GRIP_FEATURE);
  }

  for (const [name, value] of o.routeHeaders) {
    hs = value === '' ? removeHeader(hs, name) : setHeader(hs, name, value);
  }
  hs = setHeader(hs, 'Host', o.host);
  return x.logicalPeer === undefined ? { headers: hs } : { headers: hs, logicalPeer: x.logicalPeer };
}

/**
 * Path after the route's `path_rem` / `replace_beg` (config.md §7.2); never empty.
 * @example rewritePath('/rewrite/a', { pathRem: 9, replaceBeg: '/rewritten/' }) // '/rewritten/a'
 */
export function rewritePath(path: string, route: Pick<Route, 'pathRem' | 'replaceBeg'>): string {
  let p = route.pathRem > 0 ? path.slice(route.pathRem) : path;
  if (route.replaceBeg !== undefined) p = route.replaceBeg + p;
  if (p === '') return '/';
  return p;
}

/** Host header towards a target: its `host=` option, else the route's `as_host`, else the client's. */
export function backendHost(clientHost: string, route: Pick<Route, 'asHost'>, target?: Pick<HttpTarget, 'hostHeader'>): string {
  return target?.hostHeader ?? route.asHost ?? clientHost;
}

/** Absolute URI for zurl: scheme from the target's `ssl` and the session type, authority = Host. */
export function backendUri(o: { ssl: boolean; isWebSocket: boolean; host: string; path: string; query: string }): string {
  const scheme = o.isWebSocket ? (o.ssl ? 'wss' : 'ws') : (o.ssl ? 'https' : 'http');
  const path = o.path.startsWith('/') ? o.path : `/${o.path}`;
  return `${scheme}://${o.host}${path}${o.query}`;
}

/** Response headers relayed to the client: hop-by-hop removed, Content-Length kept. */
export function relayResponseHeaders(headers: readonly Header[]): Header[] {
  return withoutHeaders(headers, RESPONSE_HOP_BY_HOP);
}
