export { Runtime } from './runtime.js';
export { InvocationError } from './invocation-error.js';
/** The hash a `FunctionRef` names, defined once in `@funless/protocol`. */
export { codeHash } from '@funless/protocol';
export {
  DEFAULT_EXTRA_THREADS,
  DEFAULT_RUNTIME_OPTIONS,
  resolveRuntimeOptions,
  RUNTIME_ENV_VARIABLES,
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
