export { ActivationIds, activationTime, firstIdAt } from './activation-id.js';
export {
  ACTIVATION_LIMITS,
  INTERNAL_ERROR_MESSAGE,
  failureOutcome,
  keptLogs,
  keptResult,
  successOutcome,
} from './activation-outcome.js';
export { ActivationRecorder, DEFAULT_ACTIVATION_RECORDER_OPTIONS } from './activation-recorder.js';
export type { ActivationRecorderOptions } from './activation-recorder.js';
export { AsyncInvocations, INTERRUPTED_MESSAGE } from './async-invocations.js';
export type {
  AsyncInvocationsContext,
  AsyncInvocationsOptions,
  AsyncSubmission,
} from './async-invocations.js';
export { elapsedMs, runInvocation } from './run-invocation.js';
export type { InvocationRun } from './run-invocation.js';
export { CORE_ID_FILE, coreId } from './core-id.js';
