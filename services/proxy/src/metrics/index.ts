/** Prometheus metrics of pushpin-proxy (`[proxy] prometheus_port` / `prometheus_prefix`). */
export { renderMetrics, sanitizePrefix, type MetricDef, type MetricSample, type MetricType } from '@pushpin-ts/log';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from '@pushpin-ts/log';
export { proxyMetricDefs, type ProxyMetricsSource } from './proxy-metrics.js';
export { startProxyMetrics, PROMETHEUS_UNAVAILABLE } from './endpoint.js';
