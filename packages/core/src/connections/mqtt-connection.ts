import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';

import { Backoff } from './backoff.js';
import type { ConnectionParams, MqttQos } from './connection-params.js';
import type { ConnectionState } from './connection-state.js';

/** How long one attempt at connecting to a broker may take, in ms. */
export const CONNECT_ATTEMPT_MS = 5_000;

/** Return codes of a CONNACK that no retry changes: bad credentials, not authorized (3.1.1 and 5). */
const REFUSED_FOR_GOOD = new Set([4, 5, 134, 135]);

export interface MqttConnectionOptions {
  host: string;
  port: number;
  username?: string | undefined;
  password?: string | undefined;
  clientId: string;
  /** false: a persistent session (the broker keeps QoS 1 and 2 messages while we are away). */
  clean: boolean;
}

/** What an MQTT event source or sink is given: its broker, topic, QoS and credentials. */
export interface MqttTopicParams {
  host: string;
  port: number;
  /** Not checked here: a filter for an event source, a name for a sink. */
  topic: string;
  /** @default 1 */
  qos: MqttQos;
  username: string | undefined;
  password: string | undefined;
}

/** Reads `host`, `port`, `topic`, `qos` (default 1), `username` and `password` from `params`. */
export function mqttTopicParams(params: ConnectionParams): MqttTopicParams {
  return {
    host: params.string('host'),
    port: params.port('port'),
    topic: params.string('topic'),
    qos: params.qos('qos', 1),
    username: params.string('username', true),
    password: params.string('password', true),
  };
}

/**
 * An MQTT client (MQTT 3.1.1, npm `mqtt`) that keeps itself connected: after a lost connection
 * or a failed attempt it tries again after a backoff, reporting each step in `state`. A broker
 * that refuses the credentials is `failed` and not tried again.
 */
export class MqttConnection {
  readonly client: MqttClient;
  #closing = false;
  #refused = false;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #backoff = new Backoff();

  constructor(
    options: MqttConnectionOptions,
    private readonly state: ConnectionState,
    logger: Logger,
    /** Called at every connect, with whether the broker still had our session. */
    onConnect: (sessionPresent: boolean) => void = () => {},
  ) {
    this.client = mqtt.connect({
      host: options.host,
      port: options.port,
      protocol: 'mqtt',
      protocolVersion: 4,
      clientId: options.clientId,
      clean: options.clean,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      // Reconnecting is ours (with backoff): mqtt.js would retry at a fixed period.
      reconnectPeriod: 0,
      connectTimeout: CONNECT_ATTEMPT_MS,
      keepalive: 30,
      resubscribe: false,
    });
    this.client.on('connect', (connack) => {
      this.#backoff.reset();
      this.#lastError = undefined;
      this.state.connected();
      logger.debug({ host: options.host, port: options.port }, 'mqtt connected');
      onConnect(connack.sessionPresent);
    });
    this.client.on('error', (error: Error & { code?: unknown }) => {
      this.#lastError = `${options.host}:${options.port}: ${error.message}`;
      if (typeof error.code === 'number' && REFUSED_FOR_GOOD.has(error.code)) {
        this.#refused = true;
        this.state.failed(this.#lastError);
        this.client.end(true);
      }
    });
    this.client.on('close', () => {
      if (this.#closing || this.#refused || this.#timer) return;
      const delay = this.#backoff.next();
      this.state.retrying(
        this.#lastError ?? `${options.host}:${options.port}: the connection closed or did not open in time`,
        delay,
      );
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        if (!this.#closing) this.client.reconnect();
      }, delay);
    });
  }

  /** Disconnects, waiting at most `CONNECT_ATTEMPT_MS` for the broker. */
  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.endAsync(false),
      new Promise((resolve) => (timer = setTimeout(resolve, CONNECT_ATTEMPT_MS))),
    ]);
    clearTimeout(timer);
    if (!this.client.disconnected) this.client.end(true);
  }
}
