import { HandlerArgsError } from './errors.js';

/** Command line of pushpin-handler (1.36 options). */
export interface HandlerArgs {
  config?: string;
  ipcPrefix?: string;
  portOffset?: number;
  /** Pushpin level 0..4 (error, warning, info, debug, trace). */
  logLevel?: number;
  verbose: boolean;
  logFile?: string;
  libdir?: string;
  /** `--set section.key=value`, in order. */
  set: Array<[string, string]>;
  help: boolean;
  version: boolean;
  /** `--proxy-bind`: bind the proxy-facing sockets (proxies connect with `--handler-connect`). */
  proxyBind: boolean;
}

const WITH_VALUE = new Set(['config', 'ipc-prefix', 'port-offset', 'loglevel', 'logfile', 'libdir', 'set']);
const FLAGS: Record<string, 'verbose' | 'help' | 'version' | 'proxyBind'> = {
  verbose: 'verbose', help: 'help', h: 'help', '?': 'help', version: 'version', v: 'version', 'proxy-bind': 'proxyBind',
};

export const USAGE = `Usage: pushpin-handler [options]

Pushpin handler component.

Options:
  --config=<file>        Config file.
  --logfile=<file>       File to log to.
  --loglevel=<x>         Log level (default: 2).
  --verbose              Verbose output. Same as --loglevel=3.
  --ipc-prefix=<prefix>  Override ipc_prefix config option.
  --port-offset=<offset> Override port_offset config option.
  --libdir=<dir>         Directory holding internal.conf (default: the repository's config/).
  --set <section.key=value>  Override a config option (repeatable).
  --proxy-bind           Bind the proxy-facing sockets (accept, inspect, intreq, ...) so several
                         proxies started with --handler-connect can share this handler.
  -h, --help             Displays help on commandline options.
  -v, --version          Displays version information.
`;

function toInt(name: string, v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new HandlerArgsError(`option --${name} expects an integer, got "${v}"`);
  return Number(v.trim());
}

/**
 * Parses `process.argv.slice(2)`. Values may be given as `--opt=value` or `--opt value`.
 * @throws HandlerArgsError (PP_ERR_HANDLER_ARGS) for unknown options, missing values or a
 *   `--set` without `=`.
 * @example parseArgs(['--config', 'x.conf', '--loglevel=3']).logLevel // 3
 */
export function parseArgs(argv: readonly string[]): HandlerArgs {
  const out: HandlerArgs = { verbose: false, set: [], help: false, version: false, proxyBind: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new HandlerArgsError(`unexpected argument "${arg}"`);
    const name = m[1]!;
    let value = m[2];
    const flag = FLAGS[name];
    if (flag) {
      if (value !== undefined) throw new HandlerArgsError(`option --${name} takes no value`);
      out[flag] = true;
      continue;
    }
    if (!WITH_VALUE.has(name)) throw new HandlerArgsError(`unknown option "${arg}"`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new HandlerArgsError(`option --${name} requires a value`);
      value = argv[++i]!;
    }
    switch (name) {
      case 'config': out.config = value; break;
      case 'ipc-prefix': out.ipcPrefix = value; break;
      case 'port-offset': out.portOffset = toInt(name, value); break;
      case 'loglevel': {
        const n = toInt(name, value);
        if (n < 0) throw new HandlerArgsError(`option --loglevel must be >= 0, got ${n}`);
        out.logLevel = n;
        break;
      }
      case 'logfile': out.logFile = value; break;
      case 'libdir': out.libdir = value; break;
      case 'set': {
        const eq = value.indexOf('=');
        if (eq <= 0) throw new HandlerArgsError(`option --set expects section.key=value, got "${value}"`);
        out.set.push([value.slice(0, eq), value.slice(eq + 1)]);
        break;
      }
    }
  }
  return out;
}

/** Effective Pushpin log level: --loglevel, else 3 with --verbose, else 2. */
export function effectiveLogLevel(a: HandlerArgs): number {
  if (a.logLevel !== undefined) return a.logLevel;
  return a.verbose ? 3 : 2;
}
