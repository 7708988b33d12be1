import type { Logger } from 'pino';

import type { ConnectionParams, ConnectionState } from '../connections/index.js';

/** One message that should start an invocation. */
export interface EventMessage {
  /** Where it came from: the MQTT topic, the NATS subject, the cron expression. */
  source: string;
  /** The invocation's `args`, as JSON bytes (payload-args.ts). */
  args: Uint8Array;
}

/** An invocation the runner accepted: it ends (sinks included) when `done` resolves. */
export interface AcceptedEvent {
  done: Promise<void>;
}

/** What an event source works with, given by the connection manager. */
export interface EventSourceContext {
  /**
   * Hands a message over; resolves once the invocation started (the source acknowledges the
   * message then), after waiting for a free slot when `FL_EVENT_CONCURRENCY` are running. Rejects
   * when the message cannot run (the runner closed, the function is gone).
   */
  accept(message: EventMessage): Promise<AcceptedEvent>;
  state: ConnectionState;
  logger: Logger;
  /**
   * Stable for this subscription on this Core across restarts: the MQTT client id of its
   * persistent session.
   */
  clientId: string;
  /** The same on every Core for this subscription: the MQTT share group, the NATS queue group. */
  group: string;
  /** Whether this Core runs a schedule now (one Core of a cluster does). */
  scheduleOwner: ScheduleOwner;
}

/** Decides which Core runs schedules (docs/events.md, "Several Cores"). */
export interface ScheduleOwner {
  /** Whether this Core should run the schedule named `key` now. */
  owns(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** A subscription that starts invocations: MQTT, NATS or a schedule. */
export interface EventSource {
  /** Starts connecting; the state says how it goes, and it keeps trying by itself. */
  start(): void;
  /**
   * Stops taking messages. `forget`: the subscription is gone for good (the function changed or
   * was deleted), so the broker may drop what it keeps for it; otherwise (the Core stops) messages
   * that arrive meanwhile wait for the next start.
   */
  close(forget: boolean): Promise<void>;
}

/** One event type: its params checked once, and the source made from them. */
export interface EventType<Options> {
  parse(params: ConnectionParams): Options;
  create(options: Options, context: EventSourceContext): EventSource;
  /** Where messages come from, for the activation's `source` (the topic, the subject, the cron). */
  describe(options: Options): string;
}
