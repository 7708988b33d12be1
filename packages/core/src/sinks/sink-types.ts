import { COUCHDB_SINK } from './couchdb-sink.js';
import { MQTT_SINK } from './mqtt-sink.js';
import { NATS_SINK } from './nats-sink.js';
import { POSTGRES_SINK } from './postgres-sink.js';
import type { SinkType } from './sink.js';
import { WEBHOOK_SINK } from './webhook-sink.js';

/** Every sink type, by the `type` an entry names. */
export const SINK_TYPES: Readonly<Record<string, SinkType<unknown>>> = {
  webhook: WEBHOOK_SINK,
  mqtt: MQTT_SINK,
  nats: NATS_SINK,
  couchdb: COUCHDB_SINK,
  postgres: POSTGRES_SINK,
};
