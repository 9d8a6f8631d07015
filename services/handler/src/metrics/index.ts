/** Prometheus metrics of pushpin-handler (prometheus_port / prometheus_prefix). */
export { renderMetrics, sanitizePrefix, type MetricDef, type MetricSample, type MetricType } from './registry.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server.js';
export { handlerMetricDefs, type HandlerMetricsSource } from './handler-metrics.js';
export { handlerCounters, type CounterInputs } from './handler-counters.js';
