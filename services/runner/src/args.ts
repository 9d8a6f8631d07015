import { parseListen, parseLogLevelSpec } from '@pushpin-ts/config';
import type { Listen, LogLevelSpec } from '@pushpin-ts/config';
import { UsageError } from './errors.js';

/** What the runner was asked to do. */
export interface RunnerArgs {
  readonly help: boolean;
  readonly version: boolean;
  readonly config?: string;
  readonly port?: Listen;
  readonly routes: readonly string[];
  readonly logfile?: string;
  /** From --loglevel (or --verbose = 3). */
  readonly logLevel?: LogLevelSpec;
  readonly id?: number;
  readonly mergeOutput: boolean;
  /** `--set section.key=value` overrides, passed to every child that reads pushpin.conf. */
  readonly set: ReadonlyArray<readonly [string, string]>;
  /** `--proxy-workers`: proxy processes to run (overrides `[proxy] workers`). */
  readonly proxyWorkers?: number;
  /** `--zurl-workers`: zurl-role processes to run (default 1). */
  readonly zurlWorkers?: number;
  /** `--connmgr-workers`: connection-manager processes sharing the client ports (default 1). */
  readonly connmgrWorkers?: number;
}

export const VERSION_TEXT = 'pushpin-ts 0.1.0 (pushpin 1.36 compatible)';

export const USAGE = `Usage: pushpin-runner [options]

Starts and supervises the pushpin-ts services (connmgr, zurl, proxy, handler).

Options:
  --config=<file>        config file (default: ./config/pushpin.conf, ./pushpin.conf,
                         then the config/pushpin.conf shipped with pushpin-ts)
  --port=[addr:]port     run a single plain HTTP listener instead of the configured ports
  --route=<line>         routes line (repeatable); replaces the routes file
  --logfile=<file>       write the runner's log (and merged output) to this file
  --loglevel=<x>         N or N,service:N (0=error 1=warn 2=info 3=debug 4=trace)
  --verbose              same as --loglevel=3
  --id=<n>               instance id: ipc prefix p<n>-, port offset n*10
  -m, --merge-output     send every service's output to the runner's output (ignore logdir)
  --set section.key=val  override a pushpin.conf value (repeatable)
  --proxy-workers=<n>    run n proxy processes (default: [proxy] workers, else 1)
  --zurl-workers=<n>     run n zurl-role processes (default 1)
  --connmgr-workers=<n>  run n connection-manager processes sharing the client ports
                         (SO_REUSEPORT; default 1; needs condure_bin=condure when n > 1)
  -h, --help             show this help
  -v, --version          show the version
`;

const VALUE_OPTS = new Set(['config', 'port', 'route', 'logfile', 'loglevel', 'id', 'set', 'proxy-workers', 'zurl-workers', 'connmgr-workers']);
const FLAG_OPTS: Readonly<Record<string, string>> = {
  verbose: 'verbose', m: 'merge-output', 'merge-output': 'merge-output',
  h: 'help', help: 'help', '?': 'help', v: 'version', version: 'version',
};

/**
 * Parses the runner's command line (Qt style: `--x=y`, `--x y`, and the single-dash forms).
 *
 * @throws UsageError (`PP_ERR_RUNNER_USAGE`) for unknown options, missing or invalid values.
 * @example parseArgs(['--config', 'a.conf', '-m']).mergeOutput // true
 */
export function parseArgs(argv: readonly string[]): RunnerArgs {
  const a: { -readonly [K in keyof RunnerArgs]: RunnerArgs[K] } = { help: false, version: false, routes: [], mergeOutput: false, set: [] };
  const routes: string[] = [];
  const set: Array<[string, string]> = [];
  let verbose = false;
  let loglevel: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(arg);
    if (!m || arg === '-' || arg === '--') throw new UsageError(`unexpected argument "${arg}"`);
    const name = m[1] as string;
    let value = m[2];
    if (FLAG_OPTS[name] !== undefined) {
      if (value !== undefined) throw new UsageError(`option --${name} takes no value`);
      const flag = FLAG_OPTS[name];
      if (flag === 'verbose') verbose = true;
      else if (flag === 'merge-output') a.mergeOutput = true;
      else if (flag === 'help') a.help = true;
      else a.version = true;
      continue;
    }
    if (!VALUE_OPTS.has(name)) throw new UsageError(`unknown option "${arg}"`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option --${name} needs a value`);
      value = argv[++i] as string;
    }
    switch (name) {
      case 'config': a.config = value; break;
      case 'logfile': a.logfile = value; break;
      case 'loglevel': loglevel = value; break;
      case 'route': routes.push(value); break;
      case 'port': {
        const l = parseListen(value);
        if (!l) throw new UsageError(`--port: "${value}" is not a valid [addr:]port`);
        a.port = l;
        break;
      }
      case 'id': {
        if (!/^\d+$/.test(value)) throw new UsageError(`--id: "${value}" is not a non-negative integer`);
        a.id = Number(value);
        break;
      }
      case 'proxy-workers':
      case 'zurl-workers':
      case 'connmgr-workers': {
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64) throw new UsageError(`--${name}: "${value}" is not a number from 1 to 64`);
        if (name === 'proxy-workers') a.proxyWorkers = Number(value);
        else if (name === 'zurl-workers') a.zurlWorkers = Number(value);
        else a.connmgrWorkers = Number(value);
        break;
      }
      case 'set': {
        const eq = value.indexOf('=');
        if (eq < 1) throw new UsageError(`--set: "${value}" is not section.key=value`);
        set.push([value.slice(0, eq), value.slice(eq + 1)]);
        break;
      }
    }
  }
  if (loglevel !== undefined) {
    const spec = parseLogLevelSpec(loglevel);
    if (spec.invalid.length > 0) throw new UsageError(`--loglevel: cannot understand "${spec.invalid.join(',')}"`);
    a.logLevel = spec;
  } else if (verbose) a.logLevel = { default: 3, per: {}, invalid: [] };
  a.routes = routes;
  a.set = set;
  return a;
}
