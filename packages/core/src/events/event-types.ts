import type { EventType } from './event-source.js';
import { MQTT_EVENT } from './mqtt-event-source.js';
import { NATS_EVENT } from './nats-event-source.js';
import { SCHEDULE_EVENT } from './schedule-event-source.js';

/** Every event type, by the `type` an entry names. */
export const EVENT_TYPES: Readonly<Record<string, EventType<unknown>>> = {
  mqtt: MQTT_EVENT,
  nats: NATS_EVENT,
  schedule: SCHEDULE_EVENT,
};
