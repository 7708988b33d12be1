import { MqttConnection, mqttTopicParams } from '../connections/index.js';
import type { ConnectionParams, MqttTopicParams } from '../connections/index.js';
import { withTimeout } from './sink.js';
import type { Sink, SinkContext, SinkType } from './sink.js';

/** Its `topic` is a name: no wildcards. */
export type MqttSinkOptions = MqttTopicParams;

/** Publishes each envelope to an MQTT topic, over a connection it keeps open. */
export class MqttSink implements Sink {
  #connection: MqttConnection | undefined;

  constructor(
    private readonly options: MqttSinkOptions,
    private readonly context: SinkContext,
  ) {}

  start(): void {
    this.#connection = new MqttConnection(
      { ...this.options, clientId: this.context.clientId, clean: true },
      this.context.state,
      this.context.logger,
    );
  }

  async deliver(envelope: Buffer): Promise<void> {
    const client = this.#connection?.client;
    const where = `${this.options.host}:${this.options.port}`;
    if (!client?.connected)
      throw new Error(`${where}: not connected (${this.context.state.lastError ?? 'connecting'})`);
    await withTimeout(
      client.publishAsync(this.options.topic, envelope, { qos: this.options.qos }),
      this.context.timeoutMs,
      `publishing to ${where} ${this.options.topic}`,
    );
  }

  async close(): Promise<void> {
    await this.#connection?.close();
  }
}

export const MQTT_SINK: SinkType<MqttSinkOptions> = {
  parse(params: ConnectionParams): MqttSinkOptions {
    const options: MqttSinkOptions = mqttTopicParams(params);
    if (/[+#]/.test(options.topic))
      params.fail('topic', `must be a topic name without wildcards: ${options.topic}`);
    params.done();
    return options;
  },
  create: (options, context) => new MqttSink(options, context),
};
