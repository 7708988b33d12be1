import { ErrorCode, isErrorPayload } from '@funless/protocol';

/** The status of an invocation that succeeded; a failed one's status is its error code. */
export const INVOCATION_SUCCESS = 'success';

/** An invocation's status: `success` or one of the stable error codes (`ErrorCode`). */
export type InvocationStatus = typeof INVOCATION_SUCCESS | ErrorCode;

const ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/** The status of an invocation that failed with `error`: its code, `internal` for anything else. */
export function invocationStatus(error: unknown): ErrorCode {
  // A code from the other side of the link is checked: only known codes become label values.
  return isErrorPayload(error) && ERROR_CODES.has(error.code) ? error.code : ErrorCode.Internal;
}

/** What is known of an invocation once it has ended. */
export interface InvocationEnd {
  /**
   * The function's module and name. They become metric labels, so they must name a stored
   * function (the set of stored functions is what bounds the series), never a caller's guess.
   */
  module: string;
  function: string;
  status: InvocationStatus;
  /** Time in the platform, from the Core taking the invocation to its answer, in ms. */
  totalMs: number;
  /** Time in the guest as the Worker measured it, in ms; undefined when the Worker reported none. */
  durationMs?: number | undefined;
}

/**
 * Where the end of every invocation is told, once: the invocation counter and the duration and
 * overhead histograms of `GET /metrics` (see docs/architecture.md, "Observability"). The cluster
 * tells it today; the activation recorder, which sees every invocation whatever started it, is
 * meant to be its one caller.
 */
export interface InvocationMetrics {
  invocationEnded(end: InvocationEnd): void;
}
