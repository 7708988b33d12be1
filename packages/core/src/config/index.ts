// The one configuration error of every package, re-exported for embedders of the Core.
export { ConfigError } from '@funless/protocol';
export { DEFAULT_CORE_OPTIONS, LOG_LEVELS, defaultDataDir, resolveCoreOptions } from './core-options.js';
export type { CoreOptions, CoreTls, LogLevel, ResolvedCoreOptions } from './core-options.js';
export { CORE_ENV_VARIABLES, coreOptionsFromEnv } from './core-options-from-env.js';
