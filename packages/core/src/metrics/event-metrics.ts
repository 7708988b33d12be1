/** What events and sinks tell the metrics (docs/events.md, "Observability"). */
export interface EventMetrics {
  /** A message (or schedule run) arrived for an event of `type`. */
  eventReceived(type: string): void;
  /** An invocation started from an event of `type`. */
  eventInvoked(type: string): void;
  /** A message of an event of `type` became no invocation (too large, function gone, skipped run). */
  eventDropped(type: string): void;
  /** A sink of `type` took a result (`delivered`) or did not after every attempt (`failed`). */
  sinkDelivery(type: string, outcome: 'delivered' | 'failed'): void;
}

/** For an app without metrics. */
export const NO_EVENT_METRICS: EventMetrics = {
  eventReceived() {},
  eventInvoked() {},
  eventDropped() {},
  sinkDelivery() {},
};
