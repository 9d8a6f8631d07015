/** Prometheus metrics of pushpin-handler (prometheus_port / prometheus_prefix). */
export { renderMetrics, sanitizePrefix, type MetricDef, type MetricSample, type MetricType } from '@pushpin-ts/log';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from '@pushpin-ts/log';
export { handlerMetricDefs, type HandlerMetricsSource } from './handler-metrics.js';
export { handlerCounters, type CounterInputs } from './handler-counters.js';
