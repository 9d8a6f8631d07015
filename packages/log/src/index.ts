/**
 * @pushpin-ts/log: the pino root logger every service uses (JSON lines, bound with
 * `{ service }`). Services create one root in main.ts and `child({ rid })` per session.
 */

import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { LogLevelError } from './errors.js';

export type { Level, Logger } from 'pino';
export * from './errors.js';

const NAMES: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];
// Pushpin's --loglevel numbers: 0 error, 1 warning, 2 info, 3 debug, 4 and above trace.
const BY_NUMBER: readonly Level[] = ['error', 'warn', 'info', 'debug', 'trace'];

/**
 * Converts a pino level name or a Pushpin level number (number or numeric text) to a pino
 * level. Undefined gives `info`. `warning` is accepted as Pushpin spells it.
 * @throws LogLevelError (PP_ERR_LOG_LEVEL) for anything else.
 * @example parseLogLevel(3) // 'debug'
 * @example parseLogLevel('warn') // 'warn'
 */
export function parseLogLevel(x: string | number | undefined): Level {
  if (x === undefined) return 'info';
  const text = typeof x === 'number' ? String(x) : x.trim().toLowerCase();
  if (/^\d+$/.test(text)) return BY_NUMBER[Math.min(Number(text), BY_NUMBER.length - 1)] as Level;
  if (text === 'warning') return 'warn';
  if ((NAMES as readonly string[]).includes(text)) return text as Level;
  throw new LogLevelError(`invalid log level: ${String(x)}`);
}

export interface LoggerOptions {
  /** Bound on every line as `service`. */
  service: string;
  /** Pino name or Pushpin number; default info. */
  level?: string | number;
  /** Append JSON lines to this file (directories are created) instead of stdout. */
  file?: string;
  /** Write to this stream instead (tests, the runner's capture); takes precedence over `file`. */
  stream?: DestinationStream;
}

/**
 * Creates a service's root logger: JSON lines to stdout (or `file`, appended
 * asynchronously), each with `service` and `pid`.
 * @throws LogLevelError for an invalid `level`.
 * @example const log = createLogger({ service: 'handler', level: 2 }); log.info({ port }, 'listening');
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = { level: parseLogLevel(opts.level), base: { service: opts.service, pid: process.pid } };
  let dest: DestinationStream;
  if (opts.stream) dest = opts.stream;
  else if (opts.file) dest = pino.destination({ dest: opts.file, sync: false, mkdir: true });
  else dest = pino.destination({ dest: 1, sync: false });
  return pino(options, dest);
}
export { watchParent } from './parent-watch.js';
export { renderMetrics, sanitizePrefix, type MetricDef, type MetricSample, type MetricType } from './metrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export { IdleGc, exposedGc } from './idle-gc.js';
