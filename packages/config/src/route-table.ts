import { codes, problem } from './errors.js';
import type { Problem } from './errors.js';
import type { Route } from './route-types.js';

/** A request as seen by route selection. */
export interface RouteRequest {
  /** Host header; may include `:port` (removed) and is compared case-insensitively to routes written in lower case. */
  readonly host: string;
  /** Request path (no query), as sent by the client. */
  readonly path: string;
  readonly isWebSocket: boolean;
  readonly isTls: boolean;
}

interface Index {
  readonly accepted: Route[];
  readonly byDomain: Map<string, Route[]>;
  readonly byId: Map<string, Route | null>;
  readonly problems: Problem[];
}

const WILDCARD = '';
const domainKey = (r: Route): string | null => (r.domain === null ? null : r.wildcard ? WILDCARD : r.domain);
const sameCondition = (a: Route, b: Route): boolean => a.proto === b.proto && a.ssl === b.ssl && (a.pathBeg ?? '') === (b.pathBeg ?? '');
const where = (r: Route): { file?: string; line: number } => (r.file === undefined ? { line: r.line } : { file: r.file, line: r.line });

/**
 * Groups routes by domain and id the way Pushpin's DomainMap adds rules:
 * a condition equal to an earlier one of the same domain is skipped, an id
 * used twice becomes unusable (`byId` → null).
 */
export function indexRoutes(routes: readonly Route[]): Index {
  const idx: Index = { accepted: [], byDomain: new Map(), byId: new Map(), problems: [] };
  for (const r of routes) {
    const key = domainKey(r);
    if (key !== null) {
      const list = idx.byDomain.get(key);
      const dup = list?.find((b) => sameCondition(b, r));
      if (dup) {
        idx.problems.push(problem(codes.PP_ERR_ROUTES_DUPLICATE, `skipping duplicate condition (same as line ${dup.line})`, where(r)));
        continue;
      }
      if (list) list.push(r);
      else idx.byDomain.set(key, [r]);
    }
    if (idx.byId.has(r.id)) {
      if (idx.byId.get(r.id) !== null) {
        idx.problems.push(problem(codes.PP_WARN_ROUTES_DUPLICATE_ID, `id "${r.id}" is used more than once; routing by this id is disabled`, where(r)));
      }
      idx.byId.set(r.id, null);
    } else idx.byId.set(r.id, r);
    idx.accepted.push(r);
  }
  return idx;
}

const matches = (r: Route, req: RouteRequest): boolean =>
  (r.proto === undefined || (r.proto === 'ws') === req.isWebSocket) &&
  (r.ssl === undefined || r.ssl === req.isTls) &&
  (r.pathBeg === undefined || req.path.startsWith(r.pathBeg));

// Pushpin's comparator, kept as is (it is not a total order): proto set beats
// unset, then a longer path_beg wins, then ssl set beats unset.
function moreSpecific(r: Route, best: Route): boolean {
  if (best.proto === undefined && r.proto !== undefined) return true;
  if (best.proto !== undefined && r.proto === undefined) return false;
  if ((r.pathBeg?.length ?? 0) > (best.pathBeg?.length ?? 0)) return true;
  return best.ssl === undefined && r.ssl !== undefined;
}

/**
 * Host header → routing domain: port removed, lower-cased (Pushpin matches on the
 * parsed URL host, which Qt lower-cases), IPv6 brackets removed.
 *
 * @example hostDomain('Example.com:8080') // 'example.com'
 */
export function hostDomain(host: string): string {
  const h = host.trim();
  if (h.startsWith('[')) {
    const close = h.indexOf(']');
    return (close === -1 ? h.slice(1) : h.slice(1, close)).toLowerCase();
  }
  const at = h.lastIndexOf(':');
  return (at !== -1 && /^\d*$/.test(h.slice(at + 1)) ? h.slice(0, at) : h).toLowerCase();
}

/**
 * Route selection with Pushpin's rules: the rules of the exact domain if any
 * rule names it, else the wildcard rules (no fallback from a domain to `*`);
 * among matching rules the most specific wins (see `moreSpecific`), earlier
 * lines winning ties.
 *
 * @example
 * const table = new RouteTable(parseRoutes('* test').routes);
 * table.match({ host: 'a.example', path: '/', isWebSocket: false, isTls: false })?.targets // [{ type: 'test' }]
 */
export class RouteTable {
  readonly routes: readonly Route[];
  /** Duplicates skipped and ids disabled while building the table. */
  readonly errors: readonly Problem[];
  readonly #byDomain: Map<string, Route[]>;
  readonly #byId: Map<string, Route | null>;

  constructor(routes: readonly Route[]) {
    const idx = indexRoutes(routes);
    this.routes = Object.freeze(idx.accepted);
    this.errors = Object.freeze(idx.problems);
    this.#byDomain = idx.byDomain;
    this.#byId = idx.byId;
  }

  /** The route for a request, or `undefined` when no rule applies. */
  match(req: RouteRequest): Route | undefined {
    const rules = this.#byDomain.get(hostDomain(req.host)) ?? this.#byDomain.get(WILDCARD);
    if (!rules) return undefined;
    let best: Route | undefined;
    for (const r of rules) {
      if (!matches(r, req)) continue;
      if (!best || moreSpecific(r, best)) best = r;
    }
    return best;
  }

  /** The route with this id (explicit or derived); `undefined` if unknown or used by several rules. */
  byId(id: string): Route | undefined {
    return this.#byId.get(id) ?? undefined;
  }
}
