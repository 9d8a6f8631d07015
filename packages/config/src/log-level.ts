import type { LogLevels, ServiceName } from './types.js';
import { serviceName } from './services.js';

/** Result of {@link parseLogLevelSpec}: `default` is unset when the spec had no bare number. */
export interface LogLevelSpec {
  readonly default?: number;
  readonly per: Readonly<Record<string, number>>;
  /** Entries that could not be understood (reported, otherwise ignored). */
  readonly invalid: readonly string[];
}

/**
 * Parses Pushpin's `log_level` / `--loglevel` syntax: `N` and/or `service:N` entries,
 * as a list or a comma-separated string. Service names are normalised
 * (`pushpin-proxy` → `proxy`, `connmgr` → `condure`, …).
 *
 * @example parseLogLevelSpec('2,pushpin-proxy:3') // { default: 2, per: { proxy: 3 }, invalid: [] }
 */
export function parseLogLevelSpec(spec: string | readonly string[]): LogLevelSpec {
  const items = typeof spec === 'string' ? spec.split(',') : spec;
  let def: number | undefined;
  const per: Record<string, number> = {};
  const invalid: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '') continue;
    const at = item.lastIndexOf(':');
    const levelText = at === -1 ? item : item.slice(at + 1).trim();
    if (!/^\d+$/.test(levelText)) {
      invalid.push(item);
      continue;
    }
    const level = Number(levelText);
    if (at === -1) {
      def = level;
      continue;
    }
    const name = item.slice(0, at).trim();
    const svc: ServiceName | undefined = serviceName(name);
    per[svc ?? name] = level;
  }
  return def === undefined ? { per, invalid } : { default: def, per, invalid };
}

/**
 * Layers log level specs: later specs override earlier ones (default and per-service).
 *
 * @example mergeLogLevels({ default: 2, per: {} }, parseLogLevelSpec('3')) // { default: 3, per: {} }
 */
export function mergeLogLevels(base: LogLevels, ...over: LogLevelSpec[]): LogLevels {
  let def = base.default;
  const per: Record<string, number> = { ...base.per };
  for (const o of over) {
    if (o.default !== undefined) def = o.default;
    Object.assign(per, o.per);
  }
  return { default: def, per };
}

/**
 * The level a service runs at: its own entry, else the default.
 *
 * @example logLevelFor({ default: 2, per: { proxy: 3 } }, 'proxy') // 3
 */
export function logLevelFor(levels: LogLevels | Readonly<LogLevels>, name: string): number {
  return levels.per[serviceName(name) ?? name] ?? levels.default;
}
