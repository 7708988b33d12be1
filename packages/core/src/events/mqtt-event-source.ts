import type { ConnectionParams } from '../connections/index.js';
import { MqttConnection, mqttTopicParams } from '../connections/index.js';
import type { MqttTopicParams } from '../connections/index.js';
import type { EventSource, EventSourceContext, EventType } from './event-source.js';
import { payloadArgs } from './payload-args.js';

/** Its `topic` is a filter: `+` and `#` wildcards allowed. */
export type MqttEventOptions = MqttTopicParams;

/**
 * An MQTT subscription (docs/events.md, "mqtt"): a persistent session under a client id stable
 * for this Core, subscribed through a shared subscription (`$share/<group>/<topic>`) so that of
 * several Cores one runs each message. A message is acknowledged once its invocation started:
 * while every slot is busy, the broker holds the rest.
 */
export class MqttEventSource implements EventSource {
  #connection: MqttConnection | undefined;
  #closing = false;

  constructor(
    private readonly options: MqttEventOptions,
    private readonly context: EventSourceContext,
  ) {}

  get #filter(): string {
    return `$share/${this.context.group}/${this.options.topic}`;
  }

  start(): void {
    const { options, context } = this;
    const connection = new MqttConnection(
      { ...options, clientId: context.clientId, clean: false },
      context.state,
      context.logger,
      () => {
        // Again at every connect: a broker that lost our session (restarted without persistence)
        // must learn the subscription anew.
        connection.client.subscribe(this.#filter, { qos: options.qos }, (error, granted) => {
          const refused = granted?.some((g) => g.qos === 128);
          if (error || refused) {
            context.state.failed(
              `${options.host}:${options.port}: the broker refused the subscription to ${options.topic}${error ? ` (${error.message})` : ''}`,
            );
          }
        });
      },
    );
    connection.client.handleMessage = (packet, done) => {
      const args = payloadArgs(
        typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      );
      context.accept({ source: packet.topic, args }).then(
        () => done(),
        // The Core is stopping: not acknowledged, so the broker sends it again after the restart.
        () => {},
      );
    };
    this.#connection = connection;
  }

  async close(forget: boolean): Promise<void> {
    if (this.#closing || !this.#connection) return;
    this.#closing = true;
    const { client } = this.#connection;
    if (forget && client.connected) {
      await Promise.race([
        client.unsubscribeAsync(this.#filter).catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
      ]);
    }
    await this.#connection.close();
  }
}

export const MQTT_EVENT: EventType<MqttEventOptions> = {
  parse(params: ConnectionParams): MqttEventOptions {
    const options: MqttEventOptions = mqttTopicParams(params);
    if (options.topic.startsWith('$share/')) {
      params.fail('topic', 'must be a plain topic filter: the Core shares the subscription itself');
    }
    if (/#./.test(options.topic) || /[^/]#|#[^/]|\+[^/]|[^/]\+/.test(options.topic)) {
      params.fail(
        'topic',
        `is not a valid MQTT topic filter ("#" only last, "+" a whole level): ${options.topic}`,
      );
    }
    params.done();
    return options;
  },
  create: (options, context) => new MqttEventSource(options, context),
  describe: (options) => options.topic,
};
