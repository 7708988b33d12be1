export {
  ACTIVATION_ID_PATTERN,
  ActivationIds,
  activationTime,
  firstIdAt,
  isActivationId,
} from './activation-id.js';
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
