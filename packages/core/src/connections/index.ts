/** What event connectors and sinks share: params, state, broker connections (docs/events.md). */
export { Backoff } from './backoff.js';
export { ConnectionParams, ConnectionParamsError } from './connection-params.js';
export type { MqttQos } from './connection-params.js';
export { ConnectionPhase, ConnectionState } from './connection-state.js';
export type { ConnectionCounters } from './connection-state.js';
export { CONNECT_ATTEMPT_MS, MqttConnection, mqttTopicParams } from './mqtt-connection.js';
export type { MqttConnectionOptions, MqttTopicParams } from './mqtt-connection.js';
export { NatsConnectionKeeper, natsServersParam } from './nats-connection.js';
