import { ZurlArgsError } from './errors.js';

/** Parsed command line of `pushpin-zurl` (same options as zurl, plus explicit endpoint overrides). */
export interface ZurlArgs {
  config?: string;
  /** Pushpin log level 0..4 (0 = errors only … 3 = debug, 4 = trace). */
  logLevel?: number;
  verbose: boolean;
  logFile?: string;
  instanceId?: string;
  inSpec?: string;
  inStreamSpec?: string;
  outSpec?: string;
  help: boolean;
}

const VALUED: Readonly<Record<string, keyof ZurlArgs>> = {
  config: 'config',
  loglevel: 'logLevel',
  logfile: 'logFile',
  'instance-id': 'instanceId',
  'in-spec': 'inSpec',
  'in-stream-spec': 'inStreamSpec',
  'out-spec': 'outSpec',
};

/**
 * Parses `--name=value` / `--name value` options.
 * @throws ZurlArgsError (PP_ERR_ZURL_ARGS) for an unknown option, a missing value or a bad log level.
 * @example parseArgs(['--config=/run/zurl.conf', '--loglevel=3'])
 */
export function parseArgs(argv: readonly string[]): ZurlArgs {
  const out: ZurlArgs = { verbose: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ZurlArgsError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === 'verbose') { out.verbose = true; continue; }
    if (name === 'help') { out.help = true; continue; }
    const key = VALUED[name];
    if (!key) throw new ZurlArgsError(`unknown option '--${name}'`);
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined) throw new ZurlArgsError(`option '--${name}' needs a value`);
      i++;
    }
    if (key === 'logLevel') {
      if (!/^\d+$/.test(value)) throw new ZurlArgsError(`--loglevel must be a number, got '${value}'`);
      out.logLevel = Number(value);
    } else {
      (out as unknown as Record<string, string>)[key] = value;
    }
  }
  return out;
}

export const USAGE = `usage: pushpin-zurl --config=<zurl.conf> [--loglevel=<0..4>] [--verbose] [--logfile=<file>]
                    [--instance-id=<id>] [--in-spec=<spec>] [--in-stream-spec=<spec>] [--out-spec=<spec>]`;
