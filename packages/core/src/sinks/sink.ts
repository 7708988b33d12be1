import type { Logger } from 'pino';

import type { ConnectionParams, ConnectionState } from '../connections/index.js';

/** What a sink works with, given by the connection manager. */
export interface SinkContext {
  state: ConnectionState;
  logger: Logger;
  /** Time limit of one delivery attempt, in ms (`FL_SINK_TIMEOUT_MS`). */
  timeoutMs: number;
  /** Stable for this sink on this Core: an MQTT client id. */
  clientId: string;
}

/** Where results go: a webhook, a broker, a database (docs/events.md, "Sinks"). */
export interface Sink {
  /** Starts connecting (when the sink keeps a connection); the state says how it goes. */
  start(): void;
  /**
   * One attempt at delivering `envelope` (a JSON document, docs/events.md "The envelope"):
   * resolves when the sink took it, rejects with the reason, within the context's time limit.
   */
  deliver(envelope: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface SinkType<Options> {
  parse(params: ConnectionParams): Options;
  create(options: Options, context: SinkContext): Sink;
}

/** Rejects with a message naming `what` when `work` takes longer than `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
