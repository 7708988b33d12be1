/** The platform's own logs: JSON lines or readable ones (`FL_LOG_FORMAT`). */
export { LOG_ENV_VARIABLES, LOG_FORMATS, logFormatFromEnv, platformLogger } from './platform-logger.js';
export type { LogFormat } from './platform-logger.js';
