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
  /** The JSON input (the invocation's `args`). */
  input: unknown;
  /** Time limit of this invocation in ms; defaults to the runtime's. */
  timeoutMs?: number;
  /**
   * The code, when the caller has it at hand. Without it and without a cached copy the invocation
   * fails with `ErrorCode.CodeMissing`, and the caller fetches the code and retries.
   */
  code?: Uint8Array;
}

export interface InvokeResult {
  /** The guest's JSON result. */
  result: unknown;
  /** Captured stdout/stderr/`__console_log` lines, bounded. */
  logs: string[];
  /** Wall time spent running on the thread, in ms. */
  durationMs: number;
}

/** Load of a runtime, for the Worker's resource reports. */
export interface RuntimeStats {
  /** Invocation threads. */
  threads: number;
  /** Threads running an invocation now. */
  busy: number;
  /** Invocations waiting for a thread. */
  queued: number;
}
