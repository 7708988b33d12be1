import type { FunctionCode, FunctionRef, InvokeRequest, InvokeResult } from '../runtime/types.js';

/**
 * What the Worker's link agent needs from the Wasm runtime. The real `Runtime` fits it; tests may
 * pass a stand-in.
 */
export interface AgentRuntime {
  /** Keeps `fn`'s code (on disk and ready to compile). */
  store(fn: FunctionCode): Promise<unknown>;
  /** The functions held (lets a drop without a hash find the version to forget). */
  list?(): FunctionRef[];
  /** Forgets one version of a function's code. */
  drop(ref: FunctionRef): unknown;
  /** Runs one invocation; rejects with `FlError` (`code_missing` when the code is not held). */
  invoke(request: InvokeRequest): Promise<InvokeResult>;
  close(): Promise<unknown>;
}

/** The logger the agent writes to (pino's shape). */
export interface AgentLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const SILENT_AGENT_LOGGER: AgentLogger = { debug() {}, info() {}, warn() {}, error() {} };
