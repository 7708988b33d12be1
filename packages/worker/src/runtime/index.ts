export { Runtime, InvocationError, codeHash } from './runtime.js';
export {
  DEFAULT_RUNTIME_OPTIONS,
  resolveRuntimeOptions,
  runtimeOptionsFromEnv,
  type HttpOptions,
  type ResolvedRuntimeOptions,
  type RuntimeOptions,
} from './runtime-options.js';
export type {
  CodeMissing,
  FunctionCode,
  FunctionRef,
  InvokeOutcome,
  InvokeRequest,
  InvokeResult,
  RuntimeStats,
} from './types.js';
