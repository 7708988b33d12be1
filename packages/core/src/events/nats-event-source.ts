import type { NatsConnection, Subscription } from 'nats';

import { NatsConnectionKeeper, natsServersParam } from '../connections/index.js';
import type { ConnectionParams } from '../connections/index.js';
import type { EventMessage, EventSource, EventSourceContext, EventType } from './event-source.js';
import { payloadArgs } from './payload-args.js';

export interface NatsEventOptions {
  servers: string[];
  subject: string;
  /** The queue group; several Cores in one group share the messages. @default one per subscription */
  queue: string | undefined;
}

/**
 * Messages waiting on this Core for a free slot, per subscription. Core NATS has no
 * acknowledgements: past this many, a message is dropped (counted) rather than held in memory.
 */
export const NATS_PENDING_MAX = 1_000;

/**
 * A NATS subscription (docs/events.md, "nats") in a queue group, so that of several Cores one
 * takes each message. Core NATS delivers at most once: what arrives while no Core listens is lost.
 */
export class NatsEventSource implements EventSource {
  readonly #keeper: NatsConnectionKeeper;
  #subscription: Subscription | undefined;
  readonly #pending: EventMessage[] = [];
  #pumping = false;
  #closing = false;

  constructor(
    private readonly options: NatsEventOptions,
    private readonly context: EventSourceContext,
  ) {
    this.#keeper = new NatsConnectionKeeper(options.servers, context.state, context.logger, (c) =>
      this.#subscribe(c),
    );
  }

  start(): void {
    this.#keeper.start();
  }

  #subscribe(connection: NatsConnection): void {
    this.#subscription = connection.subscribe(this.options.subject, {
      queue: this.options.queue ?? this.context.group,
      callback: (error, message) => {
        if (error) {
          this.context.logger.warn({ err: error, subject: this.options.subject }, 'nats subscription error');
          return;
        }
        const event = { source: message.subject, args: payloadArgs(message.data) };
        if (this.#pending.length >= NATS_PENDING_MAX) {
          this.context.state.counters.messagesReceived++;
          this.context.state.counters.messagesDropped++;
          return;
        }
        this.#pending.push(event);
        void this.#pump();
      },
    });
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (let event = this.#pending.shift(); event && !this.#closing; event = this.#pending.shift()) {
        await this.context.accept(event).catch(() => {});
      }
    } finally {
      this.#pumping = false;
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#subscription?.unsubscribe();
    this.#pending.length = 0;
    await this.#keeper.close();
  }
}

export const NATS_EVENT: EventType<NatsEventOptions> = {
  parse(params: ConnectionParams): NatsEventOptions {
    const servers = natsServersParam(params);
    const options = { servers, subject: params.string('subject'), queue: params.string('queue', true) };
    if (/\s/.test(options.subject) || /(^|\.)(\.|$)/.test(options.subject)) {
      params.fail('subject', `is not a valid NATS subject: ${JSON.stringify(options.subject)}`);
    }
    params.done();
    return options;
  },
  create: (options, context) => new NatsEventSource(options, context),
  describe: (options) => options.subject,
};
