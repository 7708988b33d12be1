import type { FunctionCode, FunctionRef, InvokeOutcome, InvokeRequest } from '../runtime/types.js';

/**
 * What the Worker's link agent needs from the Wasm runtime. The real `Runtime` fits it; a test
 * stand-in must pass the same contract test (packages/worker/test/agent/agent-runtime-contract.test.ts).
 */
export interface AgentRuntime {
  /**
   * Keeps `fn`'s code (on disk and ready to compile), replacing the function's previous version:
   * that version is forgotten everywhere, as by `drop`. The one way code enters the runtime.
   */
  store(fn: FunctionCode): Promise<unknown>;
  /** The functions held, one version each (a restart keeps them; the Core's sync prunes them). */
  list(): FunctionRef[];
  /** Forgets the function if, and only if, it is held at version `ref.hash`; true if it was. */
  drop(ref: FunctionRef): Promise<boolean>;
  /**
   * Runs one invocation: its raw JSON result, or `{ type: 'missing' }` when this version is not held
   * (fetch the code, `store` it, invoke again). Rejects with `FlError` when the run fails. Calls
   * `request.onStart` once when the run starts; an aborted `request.signal` before that drops the
   * invocation (it rejects with the signal's reason and never runs), after it changes nothing.
   */
  invoke(request: InvokeRequest): Promise<InvokeOutcome>;
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
