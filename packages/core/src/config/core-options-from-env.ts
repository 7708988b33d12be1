import { envInt } from '@funless/protocol';

import { resolveCoreOptions } from './core-options.js';
import type { CoreOptions, LogLevel, ResolvedCoreOptions } from './core-options.js';

/** The environment variable behind each option. */
export const CORE_ENV_VARIABLES = {
  port: 'FL_PORT',
  host: 'FL_HOST',
  dataDir: 'FL_DATA_DIR',
  databaseUrl: 'DATABASE_URL',
  adminToken: 'FL_ADMIN_TOKEN',
  metricsToken: 'FL_METRICS_TOKEN',
  invokeTimeoutMs: 'FL_INVOKE_TIMEOUT_MS',
  maxChainDepth: 'FL_MAX_CHAIN_DEPTH',
  bodyLimitBytes: 'FL_BODY_LIMIT_BYTES',
  logLevel: 'FL_LOG_LEVEL',
  shutdownTimeoutMs: 'FL_SHUTDOWN_TIMEOUT_MS',
  requestTimeoutMs: 'FL_REQUEST_TIMEOUT_MS',
  headersTimeoutMs: 'FL_HEADERS_TIMEOUT_MS',
  tlsCertFile: 'FL_TLS_CERT',
  tlsKeyFile: 'FL_TLS_KEY',
  activationRetentionDays: 'FL_ACTIVATION_RETENTION_DAYS',
  activationMax: 'FL_ACTIVATION_MAX',
  asyncQueueMax: 'FL_ASYNC_QUEUE_MAX',
  asyncConcurrency: 'FL_ASYNC_CONCURRENCY',
  eventConcurrency: 'FL_EVENT_CONCURRENCY',
  sinkTimeoutMs: 'FL_SINK_TIMEOUT_MS',
} as const satisfies Record<keyof CoreOptions, string>;

/**
 * Reads the Core's configuration from environment variables (`FL_PORT`, `FL_HOST`, `FL_DATA_DIR`,
 * `DATABASE_URL`, `FL_ADMIN_TOKEN`, `FL_METRICS_TOKEN`, `FL_INVOKE_TIMEOUT_MS`, `FL_MAX_CHAIN_DEPTH`, `FL_BODY_LIMIT_BYTES`, `FL_LOG_LEVEL`,
 * `FL_SHUTDOWN_TIMEOUT_MS`, `FL_REQUEST_TIMEOUT_MS`, `FL_HEADERS_TIMEOUT_MS`, `FL_TLS_CERT`,
 * `FL_TLS_KEY`, `FL_ACTIVATION_RETENTION_DAYS`, `FL_ACTIVATION_MAX`, `FL_ASYNC_QUEUE_MAX`,
 * `FL_ASYNC_CONCURRENCY`, `FL_EVENT_CONCURRENCY`, `FL_SINK_TIMEOUT_MS`); unset or empty variables take the defaults. Throws `ConfigError`
 * naming the variable when a value is bad.
 */
export function coreOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ResolvedCoreOptions {
  const get = (key: keyof CoreOptions): string | undefined => {
    const value = env[CORE_ENV_VARIABLES[key]];
    return value === undefined || value === '' ? undefined : value;
  };
  const options: CoreOptions = {};
  for (const key of [
    'port',
    'invokeTimeoutMs',
    'maxChainDepth',
    'bodyLimitBytes',
    'shutdownTimeoutMs',
    'requestTimeoutMs',
    'headersTimeoutMs',
    'activationRetentionDays',
    'activationMax',
    'asyncQueueMax',
    'asyncConcurrency',
    'eventConcurrency',
    'sinkTimeoutMs',
  ] as const) {
    // The ranges are checked by resolveCoreOptions, which names the variable too.
    const value = envInt(env, CORE_ENV_VARIABLES[key]);
    if (value !== undefined) options[key] = value;
  }
  const host = get('host');
  if (host !== undefined) options.host = host;
  const dataDir = get('dataDir');
  if (dataDir !== undefined) options.dataDir = dataDir;
  const databaseUrl = get('databaseUrl');
  if (databaseUrl !== undefined) options.databaseUrl = databaseUrl;
  const adminToken = get('adminToken');
  if (adminToken !== undefined) options.adminToken = adminToken;
  const metricsToken = get('metricsToken');
  if (metricsToken !== undefined) options.metricsToken = metricsToken;
  const tlsCertFile = get('tlsCertFile');
  if (tlsCertFile !== undefined) options.tlsCertFile = tlsCertFile;
  const tlsKeyFile = get('tlsKeyFile');
  if (tlsKeyFile !== undefined) options.tlsKeyFile = tlsKeyFile;
  const logLevel = get('logLevel');
  if (logLevel !== undefined) options.logLevel = logLevel as LogLevel;
  return resolveCoreOptions(options, CORE_ENV_VARIABLES);
}
