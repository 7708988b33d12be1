/**
 * What the HTTP layer needs from the cluster: tell Workers about code changes, run invocations,
 * describe the Workers. The implementation that talks to real Workers lives in this folder;
 * `NoWorkersCluster` is the stand-in for a Core with no Worker link.
 */
import type { LogLine } from '@funless/protocol';

import type { PlacementPolicy } from '../scheduling/types.js';

/** A function as the cluster needs it to place and run invocations. */
export interface ClusterFunction {
  module: string;
  name: string;
  /** Hex SHA-256 of the code. */
  hash: string;
  tag: string;
  capacityMiB: number;
}

/** A function with its code, as pushed to Workers. */
export interface ClusterFunctionCode extends ClusterFunction {
  code: Uint8Array;
}

/** Which Workers took a push, and which did not answer in time. */
export interface PushReport {
  acknowledged: string[];
  missing: { worker: string; reason: string }[];
}

/** One Worker as `GET /v1/workers` shows it. */
export interface WorkerInfo {
  name: string;
  tag: string;
  memoryTotalMiB: number;
  memoryFreeMiB: number;
  inFlight: number;
  /** Invocations the Worker runs at once. */
  threads: number;
  runningTags: string[];
  secondsSinceReport: number;
  /** Share of the Worker machine's CPU busy, 0 to 1, from its last report; null before the first. */
  cpuUse: number | null;
  /** The Worker machine's load average over 1, 5 and 15 minutes; null before the first report. */
  loadAverage: [number, number, number] | null;
}

/**
 * What the cluster learns about one invocation as it runs, for its activation record: filled in
 * whether the invocation succeeds or fails (docs/activations.md).
 */
export interface InvocationDetails {
  /** The Worker chosen; unset when none was. */
  worker?: string;
  /** Time in the guest, in ms, as the Worker measured it; unset when it is not known. */
  durationMs?: number;
  /** What the guest printed, in order, as its Worker captured it (with the result or the error). */
  logs?: LogLine[];
  /** The Worker left lines out past its bound. */
  logsTruncated?: boolean;
}

export interface InvokeOptions {
  /** Filled in by the cluster with what it learns of the invocation (for its record). */
  details?: InvocationDetails;
  /**
   * Chooses the Worker, resolved by the caller (the invoke route resolves the request's
   * `scheduling` once). @default the default policy
   */
  policy?: PlacementPolicy;
  /** Time limit of the invocation, in ms. @default the cluster's own */
  timeoutMs?: number;
  /**
   * How many functions up the chain called this one through the API (`X-Fl-Chain-Depth`; 0: a
   * client did). The Worker passes it on, plus one, with the function's outbound requests. @default 0
   */
  chainDepth?: number;
}

export interface Cluster {
  /** The code of `fn` is new or changed: push it. With `wait`, resolve once Workers acknowledged or the limit passed. */
  functionStored(fn: ClusterFunctionCode, options: { wait: boolean }): Promise<PushReport>;
  /** Workers drop this version of the function. */
  functionDeleted(fn: ClusterFunction): Promise<void>;
  /**
   * Runs one invocation. `input` is the raw JSON of the invocation's `args`, already checked by the
   * caller (valid JSON, within `INVOCATION_LIMITS.maxInputBytes`); it reaches the guest as these
   * bytes. Resolves to the guest's raw JSON result, as the Worker checked it (UTF-8 JSON within the
   * result limit), to be relayed as bytes; rejects with an `FlError` (codes: no_worker,
   * guest_error, trap, timeout, worker_lost, result_not_json, result_too_large, …).
   */
  invoke(fn: ClusterFunction, input: Uint8Array, options?: InvokeOptions): Promise<Uint8Array>;
  workers(): WorkerInfo[];
  /**
   * The Core's HTTP server is about to close (its `preClose`): close the connections it would
   * otherwise wait for (upgraded link sockets). `close()` follows.
   */
  closeLinks(): void;
  close(): Promise<void>;
}
