import type { LogLine } from '@funless/protocol';

/**
 * The contract between the Worker runtime and whoever drives it (the Worker process, tests,
 * benchmarks). The runtime implementation lives beside this file.
 */

/** Identifies one version of a function's code. Two functions never share a key. */
export interface FunctionRef {
  module: string;
  name: string;
  /** Hex SHA-256 of the code. */
  hash: string;
}

/** A function's code as the Core pushes it. */
export interface FunctionCode extends FunctionRef {
  code: Uint8Array;
}

export interface InvokeRequest extends FunctionRef {
  /** Memory cap of the instance's linear memory, in MiB. */
  capacityMiB: number;
  /**
   * The raw JSON of the invocation's `args`, as the caller sent it: the runtime hands these bytes to
   * the guest unchanged and does not parse them (the Core checked them where they entered).
   */
  input: Uint8Array;
  /** Time limit of this invocation in ms, counted from when a thread takes it; defaults to the runtime's. */
  timeoutMs?: number;
  /**
   * Drops the invocation if it has not started on a thread yet: `invoke` then rejects with the
   * signal's reason (an `FlError`; else `timeout`) and the guest never runs. Ignored once started.
   */
  signal?: AbortSignal;
  /** Called once, synchronously, when the invocation is handed to a thread (it has started). */
  onStart?: () => void;
  /**
   * Depth of the call chain this invocation is part of: its outbound HTTP requests carry
   * `X-Fl-Chain-Depth: chainDepth + 1`. @default 0
   */
  chainDepth?: number;
}

/** A finished invocation. */
export interface InvokeResult {
  type: 'result';
  /** The guest's raw JSON result: checked to be UTF-8 JSON within the size limit, never re-encoded. */
  result: Uint8Array;
  /** What the guest printed (`__console_log`, stdout, stderr), in order, within `maxLogBytes`. */
  logs: LogLine[];
  /** Lines were left out past `maxLogBytes`. */
  logsTruncated: boolean;
  /** Wall time spent running on the thread, in ms. */
  durationMs: number;
}

/** The runtime does not hold this version of the function: `store` it, then invoke again. */
export interface CodeMissing {
  type: 'missing';
}

/** What `invoke` resolves to; failures of the run itself reject with an `InvocationError`. */
export type InvokeOutcome = InvokeResult | CodeMissing;

/** Load of a runtime, for the Worker's resource reports. */
export interface RuntimeStats {
  /** Invocation threads. */
  threads: number;
  /** Threads running an invocation now. */
  busy: number;
  /** Invocations waiting for a thread. */
  queued: number;
  /** Running invocations whose guest waits for an outbound HTTP answer (not counted against the threads). */
  waitingHttp: number;
  /** Compiled modules held in memory, one per (hash, capacity). */
  compiled: number;
  /** Modules loaded in the threads, summed over the threads. */
  loaded: number;
}
