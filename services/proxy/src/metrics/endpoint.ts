/**
 * Starts the proxy's Prometheus endpoint when `[proxy] prometheus_port` is set. A port that
 * cannot be opened is logged (PP_WARN_PROXY_PROMETHEUS) and the proxy runs on without it:
 * metrics are not worth a restart loop under the runner.
 */

import type { Listen } from '@pushpin-ts/config';
import type { Log } from '../log.js';
import { proxyMetricDefs, type ProxyMetricsSource } from './proxy-metrics.js';
import { renderMetrics, sanitizePrefix } from '@pushpin-ts/log';
import { startMetricsServer, type MetricsServer } from '@pushpin-ts/log';

export const PROMETHEUS_UNAVAILABLE = 'PP_WARN_PROXY_PROMETHEUS';

/**
 * @returns the server, or undefined when no port is configured or it could not listen.
 * @example const m = await startProxyMetrics(cfg.proxy, { totals: stats.totals, openSessions: () => app.open }, log);
 */
export async function startProxyMetrics(
  p: { readonly prometheusPort?: Listen | undefined; readonly prometheusPrefix: string },
  src: ProxyMetricsSource,
  log: Log,
): Promise<MetricsServer | undefined> {
  const port = p.prometheusPort;
  if (!port) return undefined;
  const defs = proxyMetricDefs(src);
  const prefix = sanitizePrefix(p.prometheusPrefix);
  const addr = port.addr || '0.0.0.0';
  try {
    return await startMetricsServer({ addr, port: port.port, render: () => renderMetrics(prefix, defs), log });
  } catch (err) {
    log.warn({ code: PROMETHEUS_UNAVAILABLE, addr, port: port.port, err: String(err) }, 'prometheus endpoint cannot listen; running without it');
    return undefined;
  }
}
