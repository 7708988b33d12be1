/**
 * Activation records as the store keeps them (docs/activations.md). The store knows ids as opaque,
 * sortable strings: what they encode (the time) is the business of `src/activations`.
 */
import { ErrorCode } from '@funless/protocol';
import type { LogLine } from '@funless/protocol';

/** What started an invocation: the API, or an event of a type (docs/events.md). */
export const ActivationTrigger = {
  Http: 'http',
  Async: 'async',
  Mqtt: 'event:mqtt',
  Nats: 'event:nats',
  Schedule: 'event:schedule',
} as const;
export type ActivationTrigger = (typeof ActivationTrigger)[keyof typeof ActivationTrigger];

/** Every trigger, the filter's and the API document's values. */
export const ACTIVATION_TRIGGERS: readonly ActivationTrigger[] = Object.values(ActivationTrigger);

/** The trigger of an invocation started by an event of `type`. */
export function eventTrigger(type: string): ActivationTrigger | undefined {
  const trigger = `event:${type}`;
  return (ACTIVATION_TRIGGERS as readonly string[]).includes(trigger)
    ? (trigger as ActivationTrigger)
    : undefined;
}

/** How handing a result to one sink went (docs/events.md, "The envelope"). */
export interface SinkDelivery {
  /** The sink's place in the function's `sinks`. */
  sink: number;
  type: string;
  status: 'delivered' | 'failed';
  attempts: number;
  /** Why the last attempt failed; absent when delivered. */
  error?: string;
}

/** States of an activation that has no outcome (yet), and of one that never got one. */
export const ActivationState = {
  /** An asynchronous invocation waiting to run. */
  Queued: 'queued',
  /** An asynchronous invocation handed to a Worker. */
  Running: 'running',
  /** The function returned a result. */
  Success: 'success',
  /** Its Core stopped while it ran: it may or may not have run to the end, and is not run again. */
  Interrupted: 'interrupted',
} as const;

/** `success`, a state, or the stable error code of the failure (`trap`, `timeout`, `no_worker`, …). */
export type ActivationStatus = (typeof ActivationState)[keyof typeof ActivationState] | ErrorCode;

/** Every status an activation may have, the filter's allowed values. */
export const ACTIVATION_STATUSES: readonly ActivationStatus[] = [
  ...Object.values(ActivationState),
  ...Object.values(ErrorCode),
];

/** Statuses of an activation that has not ended: never pruned. */
export const UNFINISHED_STATUSES: readonly ActivationStatus[] = [
  ActivationState.Queued,
  ActivationState.Running,
];

/** How an invocation ended, as its record keeps it. */
export interface ActivationOutcome {
  status: ActivationStatus;
  /** The Worker that ran it; null when none was chosen. */
  worker: string | null;
  /** Hex SHA-256 of the code that ran (or was to run). */
  hash: string | null;
  /** Time in the guest, in ms, as the Worker measured it; null when the guest did not run or it is unknown. */
  durationMs: number | null;
  /** Time in the platform, from the Core accepting the invocation to its outcome, in ms. */
  totalMs: number | null;
  /** The error's message; null on success. */
  error: string | null;
  /** The result's JSON text, or its first bytes when `resultTruncated`; null without a result. */
  result: string | null;
  resultTruncated: boolean;
  logs: LogLine[];
  logsTruncated: boolean;
}

/** One activation, whole. */
export interface ActivationRecord extends ActivationOutcome {
  /** 32 lowercase hex digits, ordered by time (`src/activations/activation-id.ts`). */
  id: string;
  module: string;
  /** The function's name. */
  function: string;
  trigger: ActivationTrigger;
  /** The subject whose token started it; null when none did. */
  subject: string | null;
  /** Where the event came from (MQTT topic, NATS subject, cron expression); null for the API. */
  source?: string | null;
  /** The sinks the result went to; empty when none. */
  deliveries?: SinkDelivery[];
}

/** What a list shows of an activation: no result, error or logs. */
export type ActivationSummary = Omit<ActivationRecord, 'result' | 'error' | 'logs' | 'deliveries'>;

/** An asynchronous invocation as it is stored before it runs. */
export interface QueuedActivation {
  id: string;
  module: string;
  function: string;
  subject: string | null;
  /** The raw JSON of `args`. */
  input: Uint8Array;
  /** The invocation's `scheduling` request as JSON text, or null for the default policy. */
  scheduling: string | null;
  /** Depth in a chain of functions calling functions (`X-Fl-Chain-Depth`; 0 from a client). */
  chainDepth: number;
}

/** A list's filters; every field optional. Ids bound the range, newest first. */
export interface ActivationQuery {
  module?: string;
  function?: string;
  status?: ActivationStatus;
  /** Only ids at or above this one. */
  fromId?: string;
  /** Only ids strictly below this one (a page's cursor, or the end of a time range). */
  belowId?: string;
  /** Rows to return. */
  limit: number;
}

/**
 * Activation records in the Core's database. Records of invocations that ran synchronously arrive
 * in batches (`insert`); asynchronous ones are stored when they are accepted (`enqueue`), claimed
 * by the Core that runs them (`claim`) and completed (`finish`).
 */
export interface ActivationStore {
  /** Stores finished activations, all or none. */
  insert(records: readonly ActivationRecord[]): Promise<void>;
  get(id: string): Promise<ActivationRecord | undefined>;
  /** Newest first (highest id first). */
  list(query: ActivationQuery): Promise<ActivationSummary[]>;
  /** How many match `query`, ignoring its limit; counting stops at `atMost` when given. */
  count(query: Omit<ActivationQuery, 'limit'>, atMost?: number): Promise<number>;

  /** Stores an asynchronous invocation as `queued`; resolves once it is durable. */
  enqueue(invocation: QueuedActivation): Promise<void>;
  /** Ids of queued activations, oldest first, above `afterId` when given. */
  queued(limit: number, afterId?: string): Promise<string[]>;
  /**
   * Marks a queued activation `running` by `runner` until `deadline`, and returns what it needs to
   * run; undefined when it is no longer queued (another Core took it, or it is gone).
   */
  claim(id: string, runner: string, deadline: Date): Promise<QueuedActivation | undefined>;
  /**
   * Puts a claimed activation that did not start (no Worker could take it) back in the queue;
   * false when `runner` no longer holds it.
   */
  release(id: string, runner: string): Promise<boolean>;
  /** Records the outcome of a claimed activation and forgets its input. */
  finish(id: string, outcome: ActivationOutcome): Promise<void>;
  /**
   * Ends as `interrupted` (with `message`) every running activation of `runner`, or, without one,
   * every running activation whose deadline has passed at `now`. Resolves to how many.
   */
  interrupt(message: string, options: { runner: string } | { now: Date }): Promise<number>;

  /**
   * Deletes at most `batch` finished activations with ids below `belowId`, oldest first, and
   * resolves to how many it deleted.
   */
  deleteBelow(belowId: string, batch: number): Promise<number>;
  /**
   * The id of the `keep`-th newest finished activation (the oldest one a bound of `keep` keeps),
   * or undefined when there are no more than `keep`.
   */
  keptFrom(keep: number): Promise<string | undefined>;
}
