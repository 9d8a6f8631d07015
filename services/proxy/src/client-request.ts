import type { Header, Packet } from '@pushpin-ts/zhttp';
import { ProxyRequestError } from './errors.js';
import { headerValue } from './headers.js';

/** The client's request as condure (or the handler, for internal requests) described it. */
export interface ClientRequest {
  method: string;
  /** Absolute URI as received. */
  uri: string;
  scheme: 'http' | 'https' | 'ws' | 'wss';
  /** Host header, else the URI authority (may carry `:port`). */
  host: string;
  /** Path without the query, as sent (no decoding). */
  path: string;
  /** `?…` or empty. */
  query: string;
  headers: Header[];
  isWebSocket: boolean;
  /** TLS client connection (or a trusted X-Forwarded-Proto saying so). */
  isTls: boolean;
  peerAddress?: string;
  /** Internal requests: the route id the handler named (`passthrough.route`). */
  routeId?: string;
}

const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;

/**
 * Splits a first packet's URI and headers into what routing and forwarding need.
 * @throws ProxyRequestError (PP_ERR_PROXY_REQUEST) for a URI that is not absolute http(s)/ws(s).
 * @example parseClientRequest({ id: '1', method: 'GET', uri: 'http://a:80/x?y', headers: [] }, false).path // '/x'
 */
export function parseClientRequest(p: Packet, acceptXForwardedProtocol: boolean): ClientRequest {
  const uri = p.uri ?? '';
  const m = URI_RE.exec(uri);
  if (!m) throw new ProxyRequestError(`request URI is not absolute: ${JSON.stringify(uri.slice(0, 200))}`);
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'ws' && scheme !== 'wss') {
    throw new ProxyRequestError(`unsupported URI scheme "${scheme}"`);
  }
  const rest = m[3] === '' ? '/' : m[3]!;
  const q = rest.indexOf('?');
  const path = q === -1 ? rest : rest.slice(0, q);
  const headers = p.headers ?? [];
  const isWebSocket = scheme === 'ws' || scheme === 'wss';
  let isTls = scheme === 'https' || scheme === 'wss';
  if (!isTls && acceptXForwardedProtocol) {
    const xfp = (headerValue(headers, 'X-Forwarded-Proto') ?? headerValue(headers, 'X-Forwarded-Protocol') ?? '').trim().toLowerCase();
    isTls = xfp === 'https' || xfp === 'wss';
  }
  const req: ClientRequest = {
    method: p.method ?? 'GET',
    uri,
    scheme,
    host: headerValue(headers, 'Host') ?? m[2]!,
    path: path === '' ? '/' : path,
    query: q === -1 ? '' : rest.slice(q),
    headers,
    isWebSocket,
    isTls,
  };
  if (p.peerAddress !== undefined) req.peerAddress = p.peerAddress;
  return req;
}
