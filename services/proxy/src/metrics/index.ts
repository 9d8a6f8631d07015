/** Prometheus metrics of pushpin-proxy (`[proxy] prometheus_port` / `prometheus_prefix`). */
export { renderMetrics, sanitizePrefix, type MetricDef, type MetricSample, type MetricType } from './registry.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server.js';
export { proxyMetricDefs, type ProxyMetricsSource } from './proxy-metrics.js';
export { startProxyMetrics, PROMETHEUS_UNAVAILABLE } from './endpoint.js';
