import { performance } from 'node:perf_hooks';

import type { Cluster, ClusterFunction, InvocationDetails, InvokeOptions } from '../cluster/index.js';
import type { ActivationOutcome } from '../store/index.js';
import { failureOutcome, successOutcome } from './activation-outcome.js';

/** An invocation that ran (or failed), with the outcome its record keeps. */
export type InvocationRun =
  | { ok: true; result: Uint8Array; outcome: ActivationOutcome }
  | { ok: false; error: unknown; outcome: ActivationOutcome };

/** Milliseconds since `since` (a `performance.now()`), to the microsecond. */
export function elapsedMs(since: number): number {
  return Math.round((performance.now() - since) * 1000) / 1000;
}

/**
 * Runs one invocation on the cluster and says how it ended, for its activation record; never
 * rejects. `totalMs` gives the time in the platform when it ended.
 */
export async function runInvocation(
  cluster: Cluster,
  fn: ClusterFunction,
  input: Uint8Array,
  options: InvokeOptions,
  totalMs: () => number,
): Promise<InvocationRun> {
  const details: InvocationDetails = {};
  try {
    const result = await cluster.invoke(fn, input, { ...options, details });
    return { ok: true, result, outcome: successOutcome(fn, details, result, totalMs()) };
  } catch (error) {
    return { ok: false, error, outcome: failureOutcome(fn, details, error, totalMs()) };
  }
}
