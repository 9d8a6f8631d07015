/**
 * @pushpin-ts/log: the pino root logger every service uses (JSON lines, bound with
 * `{ service }`). Services create one root in main.ts and `child({ rid })` per session.
 */

import fs from 'node:fs';
import path from 'node:path';
import pino, { type DestinationStream, type Level, type Logger } from 'pino';
import { LogFileError, LogLevelError } from './errors.js';

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
 * Creates a service's root logger: JSON lines to stdout (or `file`), one write per event-loop
 * turn (synchronous for a regular file, asynchronous otherwise), each with `service` and `pid`.
 * @throws LogLevelError for an invalid `level`; LogFileError when `file` cannot be opened.
 * @example const log = createLogger({ service: 'handler', level: 2 }); log.info({ port }, 'listening');
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = { level: parseLogLevel(opts.level), base: { service: opts.service, pid: process.pid } };
  if (opts.stream) return pino(options, opts.stream);
  // The file is opened here (start-up, once) so lines logged just before an early exit are kept.
  const fd = opts.file === undefined ? 1 : openAppend(opts.file);
  // A regular file takes the turn's lines with one write(2) on the main thread: cheaper than a
  // thread-pool round trip per turn (two thread wake-ups). Pipes and terminals stay
  // asynchronous, so a slow reader never stalls the event loop.
  const boom = pino.destination({ dest: fd, sync: isRegularFile(fd) });
  return pino(options, perTurn(boom));
}

function isRegularFile(fd: number): boolean {
  try { return fs.fstatSync(fd).isFile(); } catch { return false; }
}

function openAppend(file: string): number {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return fs.openSync(file, 'a');
  } catch (err) {
    throw new LogFileError(`cannot open log file ${file}: ${(err as Error).message}`);
  }
}

/**
 * Hands the lines of one event-loop turn to sonic-boom as one string, so per-request info
 * lines under load cost one write per turn rather than one per line (sonic-boom itself
 * appends to its buffer while a write is in flight). What is pending when the process exits
 * is written synchronously.
 */
function perTurn(boom: ReturnType<typeof pino.destination>): DestinationStream {
  let pending = '';
  let scheduled = false;
  const handOver = (): void => {
    scheduled = false;
    const text = pending;
    pending = '';
    if (text !== '') boom.write(text);
  };
  process.on('exit', () => {
    if (pending === '') return;
    try {
      boom.write(pending);
      pending = '';
      boom.flushSync();
    } catch {
      // stdout or the file is gone: nothing more can be done at exit
    }
  });
  return {
    // pino's logger.flush(cb): hand the turn's lines over, then let sonic-boom call back
    flush(cb?: (err?: Error) => void): void {
      handOver();
      boom.flush(cb);
    },
    write(line: string): void {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(handOver);
      }
    },
  } as DestinationStream;
}
export { watchParent } from './parent-watch.js';
export { renderMetrics, sanitizePrefix, type MetricDef, type MetricSample, type MetricType } from './metrics.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './metrics-server.js';
export { IdleGc, exposedGc } from './idle-gc.js';
