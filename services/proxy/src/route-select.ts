import type { Route, RouteTable } from '@pushpin-ts/config';
import type { ClientRequest } from './client-request.js';
import { headerValue, removeHeader } from './headers.js';

/**
 * The route for a request: for an internal request, the route the handler named when it exists;
 * by `Pushpin-Route` id when `accept_pushpin_route` is on and the header is present (the header
 * is then removed); else by host/path/protocol. A match is reported to `ctx.onRoute`
 * (per-route stats; called once per session).
 */
export function selectRoute(
  ctx: { routes(): RouteTable; settings: { acceptPushpinRoute: boolean }; onRoute?(route: Route): void },
  req: ClientRequest,
): Route | undefined {
  const route = findRoute(ctx, req);
  if (route) ctx.onRoute?.(route);
  return route;
}

function findRoute(ctx: { routes(): RouteTable; settings: { acceptPushpinRoute: boolean } }, req: ClientRequest): Route | undefined {
  const table = ctx.routes();
  if (req.routeId !== undefined) {
    const named = table.byId(req.routeId);
    if (named) return named;
  }
  if (ctx.settings.acceptPushpinRoute) {
    const id = headerValue(req.headers, 'Pushpin-Route');
    if (id !== undefined) {
      req.headers = removeHeader(req.headers, 'Pushpin-Route');
      return table.byId(id.trim());
    }
  }
  return table.match({ host: req.host, path: req.path, isWebSocket: req.isWebSocket, isTls: req.isTls });
}
