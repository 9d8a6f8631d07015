/**
 * The proxy's metrics: requests received (in all and per route), requests by status class,
 * sessions open now. Read from {@link ProxyTotals} at scrape time.
 */

import type { ProxyTotals } from '../stats.js';
import type { MetricDef } from '@pushpin-ts/log';

export interface ProxyMetricsSource {
  readonly totals: ProxyTotals;
  /** Sessions the proxy is handling now (HTTP and WebSocket, client and handler-originated). */
  openSessions(): number;
}

const byLabel = (m: ReadonlyMap<string, number>, label: string) =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, value]) => ({ labels: { [label]: k }, value }));

/**
 * Metric definitions over `src`.
 * @example renderMetrics('pushpin_', proxyMetricDefs({ totals, openSessions: () => app.open }))
 */
export function proxyMetricDefs(src: ProxyMetricsSource): MetricDef[] {
  return [
    { name: 'request_received', type: 'counter', help: 'Number of client requests received', collect: () => src.totals.requestsReceived },
    {
      name: 'route_request_received', type: 'counter', help: 'Number of client requests received, per route (id or pattern)',
      collect: () => byLabel(src.totals.byRoute, 'route'),
    },
    {
      name: 'request_response', type: 'counter', help: 'Number of requests answered, per status class (handed-off requests: the backend status)',
      collect: () => byLabel(src.totals.byClass, 'class'),
    },
    { name: 'connection_open', type: 'gauge', help: 'Number of sessions open in the proxy (client and handler-originated)', collect: () => src.openSessions() },
  ];
}
