import path from 'node:path';
import { codes, problem } from './errors.js';
import type { Problem } from './errors.js';
import { deepFreeze } from './freeze.js';
import { qtInt } from './qt-ini.js';
import { indexRoutes } from './route-table.js';
import type { HttpTarget, JsonpConfig, Route, Target } from './route-types.js';
import { lexRouteLine } from './routes-lexer.js';
import type { RouteSection } from './routes-lexer.js';

/** Options of {@link parseRoutes}. */
export interface ParseRoutesOptions {
  /** Routes file path: named in messages; its directory anchors relative `sig_key=file:` paths. */
  readonly file?: string;
  /** Line number of the first line (default 1). */
  readonly firstLine?: number;
}

/** Result of {@link parseRoutes}: usable routes and the problems of skipped (or suspicious) lines. */
export interface ParsedRoutes {
  readonly routes: readonly Route[];
  readonly errors: readonly Problem[];
}

class LineError extends Error {}

/**
 * Parses a routes file (or `--route` lines joined with `\n`). Lines with errors
 * are skipped and reported in `errors` with their line number; duplicate
 * conditions are skipped too (`PP_ERR_ROUTES_DUPLICATE`). Never throws.
 *
 * @example
 * const { routes, errors } = parseRoutes('* test\n*,proto=bad x:1\n', { file: 'routes' });
 * routes[0].targets // [{ type: 'test' }]
 * errors[0] // { code: 'PP_ERR_ROUTES_INVALID', line: 2, message: "routes:2: proto must be set to 'http' or 'ws'", … }
 */
export function parseRoutes(text: string, opts: ParseRoutesOptions = {}): ParsedRoutes {
  const errors: Problem[] = [];
  const parsed: Route[] = [];
  const lines = text.split('\n');
  const first = opts.firstLine ?? 1;
  for (let n = 0; n < lines.length; n++) {
    const line = first + n;
    const loc = opts.file === undefined ? { line } : { file: opts.file, line };
    const lexed = lexRouteLine((lines[n] as string).replace(/\r$/, ''));
    if (!lexed.ok) {
      errors.push(problem(codes.PP_ERR_ROUTES_SYNTAX, lexed.error, loc));
      continue;
    }
    if (lexed.sections.length === 0) continue;
    try {
      parsed.push(buildRoute(lexed.sections, line, opts.file));
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      errors.push(problem(codes.PP_ERR_ROUTES_INVALID, err.message, loc));
    }
  }
  const index = indexRoutes(parsed);
  errors.push(...index.problems);
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return deepFreeze({ routes: index.accepted, errors });
}

type Props = RouteSection['props'];
const has = (props: Props, name: string): boolean => props.some(([k]) => k === name);
// Pushpin keeps props in a multi-hash: a single read gives the last value written
const last = (props: Props, name: string): string | undefined => {
  for (let i = props.length - 1; i >= 0; i--) if ((props[i] as readonly [string, string])[0] === name) return (props[i] as readonly [string, string])[1];
  return undefined;
};
const all = (props: Props, name: string): string[] => props.filter(([k]) => k === name).map(([, v]) => v);

function buildRoute(sections: readonly RouteSection[], line: number, file: string | undefined): Route {
  if (sections.length < 2) throw new LineError('must specify condition and at least one target');
  const cond = sections[0] as RouteSection;
  const p = cond.props;
  const r: { -readonly [K in keyof Route]: Route[K] } = {
    id: '',
    explicitId: false,
    line,
    domain: cond.value === '' ? null : cond.value,
    wildcard: cond.value === '*',
    prefix: last(p, 'prefix') ?? '',
    origHeaders: has(p, 'orig_headers'),
    pathRem: 0,
    debug: has(p, 'debug'),
    aco: has(p, 'aco'),
    session: has(p, 'session'),
    noGrip: has(p, 'no_grip'),
    headers: [],
    jsonp: { mode: 'extended', defaultMethod: 'GET' },
    targets: [],
  };
  if (file !== undefined) r.file = file;

  const proto = last(p, 'proto');
  if (proto !== undefined) {
    if (proto !== 'http' && proto !== 'ws') throw new LineError("proto must be set to 'http' or 'ws'");
    r.proto = proto;
  }
  const ssl = last(p, 'ssl');
  if (ssl !== undefined) {
    if (ssl !== 'yes' && ssl !== 'no') throw new LineError("ssl must be set to 'yes' or 'no'");
    r.ssl = ssl === 'yes';
  }
  const id = last(p, 'id');
  if (id !== undefined && id !== '') {
    r.id = id;
    r.explicitId = true;
  }
  const pathBeg = last(p, 'path_beg');
  if (pathBeg !== undefined) {
    if (pathBeg === '') throw new LineError('path_beg cannot be empty');
    r.pathBeg = pathBeg;
  }
  const sigIss = last(p, 'sig_iss');
  if (sigIss !== undefined) r.sigIss = sigIss;
  const sigKey = last(p, 'sig_key');
  if (sigKey !== undefined) {
    r.sigKey = sigKey.startsWith('file:') && file !== undefined ? `file:${path.resolve(path.dirname(file), sigKey.slice(5))}` : sigKey;
  }
  const asHost = last(p, 'as_host');
  if (asHost !== undefined) r.asHost = asHost;
  const pathRem = last(p, 'path_rem');
  if (pathRem !== undefined) r.pathRem = Math.max(0, qtInt(pathRem) ?? 0);
  const replaceBeg = last(p, 'replace_beg');
  if (replaceBeg !== undefined) {
    r.pathRem = pathBeg?.length ?? 0;
    r.replaceBeg = replaceBeg;
  }
  r.jsonp = jsonpConfig(p);
  const sockjs = last(p, 'sockjs');
  if (sockjs !== undefined) r.sockjsPath = sockjs;
  const sockjsAs = last(p, 'sockjs_as_path');
  if (sockjsAs !== undefined) r.sockjsAsPath = sockjsAs;
  r.headers = all(p, 'header').map((h) => {
    const at = h.indexOf(':');
    if (at < 1) throw new LineError("header must use format 'name:value'");
    return [h.slice(0, at), h.slice(at + 1).replace(/^ +/, '')] as const;
  });
  const logLevel = last(p, 'log_level');
  if (logLevel !== undefined) {
    const n = qtInt(logLevel);
    if (n === undefined || n < 0) throw new LineError('log_level must be a number');
    r.logLevel = n;
  }

  r.targets = sections.slice(1).map(buildTarget);
  if (r.domain === null && !r.explicitId) throw new LineError('condition has no domain or id');
  if (!r.explicitId) r.id = idFromCondition(r);
  return r;
}

function jsonpConfig(p: Props): JsonpConfig {
  const mode = last(p, 'jsonp_mode') ?? 'extended';
  if (mode !== 'basic' && mode !== 'extended') throw new LineError("jsonp_mode must be set to 'basic' or 'extended'");
  const j: { -readonly [K in keyof JsonpConfig]: JsonpConfig[K] } = {
    mode,
    defaultMethod: last(p, 'jsonp_defmethod') ?? (mode === 'basic' ? 'POST' : 'GET'),
  };
  const cb = last(p, 'jsonp_cb');
  if (cb !== undefined) j.callbackParam = cb;
  const body = last(p, 'jsonp_body');
  if (body !== undefined) j.bodyParam = body;
  const defcb = last(p, 'jsonp_defcb');
  if (defcb !== undefined) j.defaultCallback = defcb;
  return j;
}

/**
 * Pushpin's derived id: `domain,proto,ssl,path_beg` with `*` for unset parts.
 * Pushpin labels ssl inverted (`ssl=no` → "ssl", `ssl=yes` → "no-ssl"); kept for compatibility.
 */
export function idFromCondition(r: Pick<Route, 'domain' | 'wildcard' | 'proto' | 'ssl' | 'pathBeg'>): string {
  const domain = r.domain === null || r.wildcard ? '*' : r.domain;
  const ssl = r.ssl === undefined ? '*' : r.ssl ? 'no-ssl' : 'ssl';
  return `${domain},${r.proto ?? '*'},${ssl},${r.pathBeg ?? '*'}`;
}

function buildTarget(s: RouteSection): Target {
  const p = s.props;
  const mode = last(p, 'ipc_file_mode');
  const ipcFileMode = mode === undefined ? undefined : qtInt(mode, 8);
  if (s.value.startsWith('zhttp/') || s.value.startsWith('zhttpreq/')) {
    const req = s.value.startsWith('zhttpreq/');
    const spec = s.value.slice(req ? 9 : 6);
    if (spec === '') throw new LineError('target bad format');
    const t = { type: req ? ('zhttpreq' as const) : ('zhttp' as const), spec };
    return ipcFileMode !== undefined && ipcFileMode >= 0 ? { ...t, ipcFileMode } : t;
  }
  if (s.value === 'test') return { type: 'test' };
  const ssl = has(p, 'ssl');
  const { host, port } = hostPort(s.value, ssl ? 443 : 80);
  const t: { -readonly [K in keyof HttpTarget]: HttpTarget[K] } = {
    type: 'http',
    host,
    port,
    ssl,
    untrusted: has(p, 'untrusted'),
    trustConnectHost: has(p, 'trust_connect_host'),
    insecure: has(p, 'insecure'),
    subs: all(p, 'sub').filter((x) => x !== ''),
    overHttp: has(p, 'over_http'),
    oneEvent: has(p, 'one_event'),
  };
  const hostHeader = last(p, 'host');
  if (hostHeader !== undefined) t.hostHeader = hostHeader;
  return t;
}

function hostPort(value: string, defaultPort: number): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (value.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
    if (!m) throw new LineError('target bad format');
    host = m[1] as string;
    portText = m[2];
  } else {
    const at = value.indexOf(':');
    host = at === -1 ? value : value.slice(0, at);
    portText = at === -1 ? undefined : value.slice(at + 1);
  }
  if (host === '') throw new LineError('target bad format');
  if (portText === undefined) return { host, port: defaultPort };
  const port = qtInt(portText);
  if (port === undefined || port < 1 || port > 65535 || !/^\d+$/.test(portText)) throw new LineError('target invalid port');
  return { host, port };
}
