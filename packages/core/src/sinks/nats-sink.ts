import { NatsConnectionKeeper, natsServersParam } from '../connections/index.js';
import type { ConnectionParams } from '../connections/index.js';
import { withTimeout } from './sink.js';
import type { Sink, SinkContext, SinkType } from './sink.js';

export interface NatsSinkOptions {
  servers: string[];
  subject: string;
}

/** Publishes each envelope to a NATS subject; delivered once the server confirmed (a flush). */
export class NatsSink implements Sink {
  readonly #keeper: NatsConnectionKeeper;

  constructor(
    private readonly options: NatsSinkOptions,
    private readonly context: SinkContext,
  ) {
    this.#keeper = new NatsConnectionKeeper(options.servers, context.state, context.logger, () => {});
  }

  start(): void {
    this.#keeper.start();
  }

  async deliver(envelope: Buffer): Promise<void> {
    const connection = this.#keeper.connection;
    const where = this.options.servers.join(',');
    if (!connection || connection.isClosed()) {
      throw new Error(`${where}: not connected (${this.context.state.lastError ?? 'connecting'})`);
    }
    connection.publish(this.options.subject, envelope);
    await withTimeout(
      connection.flush(),
      this.context.timeoutMs,
      `publishing to ${where} ${this.options.subject}`,
    );
  }

  close(): Promise<void> {
    return this.#keeper.close();
  }
}

export const NATS_SINK: SinkType<NatsSinkOptions> = {
  parse(params: ConnectionParams): NatsSinkOptions {
    const servers = natsServersParam(params);
    const subject = params.string('subject');
    if (/[\s*>]/.test(subject))
      params.fail('subject', `must be a subject without wildcards or spaces: ${subject}`);
    params.done();
    return { servers, subject };
  },
  create: (options, context) => new NatsSink(options, context),
};
