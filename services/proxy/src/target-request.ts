import type { HttpTarget, Route, Target } from '@pushpin-ts/config';
import type { Header, Packet } from '@pushpin-ts/zhttp';
import type { ClientRequest } from './client-request.js';
import type { GripSigner } from './grip-signing.js';
import { backendHost, backendUri, rewritePath, rewriteRequestHeaders } from './request-rewrite.js';
import type { ProxySettings } from './settings.js';

export interface TargetRequestInput {
  req: ClientRequest;
  route: Route;
  target: Target;
  trusted: boolean;
  internal: boolean;
  settings: ProxySettings;
  signer: GripSigner;
}

/** Headers for one target (Host depends on the target's `host=`) and the logical client address. */
export function targetHeaders(i: TargetRequestInput): { headers: Header[]; logicalPeer?: string } {
  const http = i.target.type === 'http' ? i.target : undefined;
  const sig = i.trusted || i.route.noGrip ? undefined : i.signer.tokenFor(i.route);
  return rewriteRequestHeaders(i.req.headers, {
    trusted: i.trusted,
    internal: i.internal,
    noGrip: i.route.noGrip,
    ...(sig !== undefined ? { gripSig: sig } : {}),
    xff: i.trusted ? i.settings.xffTrusted : i.settings.xff,
    ...(i.req.peerAddress !== undefined ? { peerAddress: i.req.peerAddress } : {}),
    setXForwardedProtocol: i.settings.setXForwardedProtocol,
    acceptXForwardedProtocol: i.settings.acceptXForwardedProtocol,
    isTls: i.req.isTls,
    isWebSocket: i.req.isWebSocket,
    routeHeaders: i.route.headers,
    host: backendHost(i.req.host, i.route, http),
  });
}

/** The first packet towards zurl for an http(s)/ws(s) target (architecture.md §5.1 step 5). */
export function zurlFirstPacket(req: ClientRequest, route: Route, t: HttpTarget, headers: Header[]): Omit<Packet, 'from' | 'id' | 'seq'> {
  const uri = backendUri({
    ssl: t.ssl, isWebSocket: req.isWebSocket, host: backendHost(req.host, route, t), path: rewritePath(req.path, route), query: req.query,
  });
  const first: Omit<Packet, 'from' | 'id' | 'seq'> = {
    method: req.method,
    uri,
    headers,
    credits: 200_000,
    connectHost: t.host,
    connectPort: t.port,
    ignorePolicies: true,
  };
  if (!req.isWebSocket) first.stream = true;
  if (t.insecure) first.ignoreTlsErrors = true;
  if (t.trustConnectHost) first.trustConnectHost = true;
  return first;
}
