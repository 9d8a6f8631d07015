import { ProxyArgsError } from './errors.js';

/** pushpin-proxy 1.36 command line, plus `--libdir` and `--set` (ours). */
export interface ProxyArgs {
  config: string;
  ipcPrefix?: string;
  /** Pushpin levels 0..4 (error, warning, info, debug, trace). */
  logLevel?: number;
  logFile?: string;
  routes: string[];
  libdir?: string;
  set: Array<[string, string]>;
  /** `--id`: ZHTTP instance id / ROUTER identity; `{pid}` and `{hostname}` are substituted. Default `pushpin-proxy_{pid}`. */
  id?: string;
  /** `--handler-connect`: connect the handler-facing sockets instead of binding them (the handler binds). */
  handlerConnect: boolean;
  /** `--zhttp-timeout`: ms a `zhttp/`/`zhttpreq/` handler has to start its answer. */
  zhttpTimeoutMs?: number;
  /** Options we do not know; reported as warnings, not fatal. */
  unknown: string[];
}

const VALUED = new Set(['config', 'ipc-prefix', 'loglevel', 'logfile', 'route', 'libdir', 'set', 'id', 'zhttp-timeout']);

/**
 * Parses `--name=value` and `--name value` forms.
 * @throws ProxyArgsError (PP_ERR_PROXY_ARGS) when `--config` is missing or a value is bad.
 * @example parseArgs(['--config=/etc/pushpin/pushpin.conf', '--route', '* test']).routes // ['* test']
 */
export function parseArgs(argv: readonly string[]): ProxyArgs {
  const out: ProxyArgs = { config: '', routes: [], set: [], unknown: [], handlerConnect: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) { out.unknown.push(arg); continue; }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (VALUED.has(name) && value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new ProxyArgsError(`--${name} needs a value`);
      i++;
    }
    switch (name) {
      case 'config': out.config = value!; break;
      case 'ipc-prefix': out.ipcPrefix = value!; break;
      case 'loglevel': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0) throw new ProxyArgsError(`--loglevel must be a number 0..4, got "${value}"`);
        out.logLevel = n;
        break;
      }
      case 'verbose': out.logLevel = 3; break;
      case 'logfile': out.logFile = value!; break;
      case 'route': out.routes.push(value!); break;
      case 'libdir': out.libdir = value!; break;
      case 'set': {
        const at = value!.indexOf('=');
        if (at < 1) throw new ProxyArgsError(`--set expects section.key=value, got "${value}"`);
        out.set.push([value!.slice(0, at), value!.slice(at + 1)]);
        break;
      }
      case 'quiet-check': break;
      case 'id':
        if (!value) throw new ProxyArgsError('--id needs a non-empty value');
        out.id = value;
        break;
      case 'handler-connect': out.handlerConnect = true; break;
      case 'zhttp-timeout': {
        const n = Number(value);
        if (!Number.isInteger(n) || n <= 0) throw new ProxyArgsError(`--zhttp-timeout must be a positive number of ms, got "${value}"`);
        out.zhttpTimeoutMs = n;
        break;
      }
      default: out.unknown.push(arg);
    }
  }
  if (out.config === '') throw new ProxyArgsError('--config=<file> is required');
  return out;
}
