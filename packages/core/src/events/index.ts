/** Event connectors: what starts invocations besides the API (docs/events.md). */
export type {
  AcceptedEvent,
  EventMessage,
  EventSource,
  EventSourceContext,
  EventType,
  ScheduleOwner,
} from './event-source.js';
export { EVENT_TYPES } from './event-types.js';
export { LeaseScheduleOwner, SCHEDULES_LEASE } from './lease-schedule-owner.js';
export { payloadArgs } from './payload-args.js';
export { NATS_PENDING_MAX } from './nats-event-source.js';
