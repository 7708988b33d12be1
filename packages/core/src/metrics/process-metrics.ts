import { collectDefaultMetrics, Registry } from 'prom-client';

let registry: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, heap, event-loop lag, GC, handles), collected once
 * per process: they describe the process, not one Core app, and each collection adds a GC observer
 * and an event-loop monitor that nothing removes, so several apps in one process share these.
 */
export function processMetricsRegistry(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}
