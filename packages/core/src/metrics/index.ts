/** The Core's metrics for Prometheus (`GET /metrics`), and what the rest of the Core tells them. */
export { CoreMetrics, METRIC_BUCKETS } from './core-metrics.js';
export type { CoreMetricsOptions, WorkerGaugeSource } from './core-metrics.js';
export { INVOCATION_SUCCESS, invocationStatus } from './invocation-metrics.js';
export type { InvocationEnd, InvocationMetrics, InvocationStatus } from './invocation-metrics.js';
export { NO_CLUSTER_METRICS } from './cluster-metrics.js';
export type { ClusterMetrics, CodePush, PolicyKind, SchedulingDecision } from './cluster-metrics.js';
export type { ActivationMetrics } from './activation-metrics.js';
export type { AsyncQueueMetrics } from './async-queue-metrics.js';
export { NO_EVENT_METRICS } from './event-metrics.js';
export type { EventMetrics } from './event-metrics.js';
