/** Events and sinks of the stored functions, running on this Core (docs/events.md). */
export { ConnectionManager } from './connection-manager.js';
export type { ConnectionManagerContext, ConnectionView, EntryResult } from './connection-manager.js';
export { EventRunner, envelope } from './event-runner.js';
export type { ActiveSink, EventJob, EventRunnerContext, EventRunnerOptions } from './event-runner.js';
export { SinkOn, connectionKey, parseEvent, parseSink, redactedParams } from './connection-types.js';
