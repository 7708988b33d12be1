/** Sinks: where the results of event-triggered invocations go (docs/events.md, "Sinks"). */
export type { Sink, SinkContext, SinkType } from './sink.js';
export { SINK_TYPES } from './sink-types.js';
