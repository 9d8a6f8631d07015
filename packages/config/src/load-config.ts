import fs from 'node:fs';
import path from 'node:path';
import { ConfigNotFoundError } from './errors.js';
import { parseConfigText } from './parse-config.js';
import type { ParseConfigOptions } from './parse-config.js';
import type { PushpinConfig } from './types.js';

/** Options of {@link loadConfig}: those of `parseConfigText` minus the file and include reader. */
export type LoadConfigOptions = Omit<ParseConfigOptions, 'file' | 'includeText'>;

/**
 * Reads pushpin.conf and its `include` file from disk and parses them. The only
 * function of this package that does I/O. Relative `rundir`/`logdir` are taken
 * from `opts.cwd` (default: the process's working directory).
 *
 * @throws ConfigNotFoundError (`PP_ERR_CONFIG_NOT_FOUND`) when the main file cannot be read.
 * @throws ConfigIncludeNotFoundError, ConfigInvalidError, ConfigSetError as `parseConfigText` does.
 * @example const cfg = loadConfig('config/pushpin.conf', { libdir: '/opt/pushpin-ts/config' });
 */
export function loadConfig(file: string, opts: LoadConfigOptions): PushpinConfig {
  const cwd = opts.cwd ?? process.cwd();
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigNotFoundError(`cannot read config file (${why})`, { file: abs });
  }
  return parseConfigText(text, {
    ...opts,
    cwd,
    file: abs,
    includeText: (p) => {
      try {
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}
