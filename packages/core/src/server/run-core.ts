import { existsSync } from 'node:fs';

import { exitOnSignals } from '@funless/protocol';
import { pino } from 'pino';
import type { Logger } from 'pino';

import { coreClusterFromEnv } from '../cluster/index.js';
import type { Cluster, ClusterFactory } from '../cluster/index.js';
import { coreOptionsFromEnv } from '../config/index.js';
import { startCore } from './start-core.js';
import type { RunningCore } from './start-core.js';

export interface RunCoreOptions {
  /** The cluster or its factory. @default the Worker link configured by the environment (`coreClusterFromEnv`) */
  cluster?: Cluster | ClusterFactory;
  /** Install SIGTERM/SIGINT handlers that close the Core and exit. @default true */
  handleSignals?: boolean;
  /** @default JSON lines (pino) on stdout at `FL_LOG_LEVEL`; `fl core` gives its own (FL_LOG_FORMAT) */
  logger?: Logger;
}

/**
 * The `fl core` entry: configuration from `env`, starts the Core, prints its URL and the tokens
 * file, and on SIGTERM or SIGINT lets in-flight requests finish, closes the database and exits.
 * Throws `ConfigError` (naming the variable) on bad configuration.
 */
export async function runCore(
  env: NodeJS.ProcessEnv = process.env,
  runOptions: RunCoreOptions = {},
): Promise<RunningCore> {
  const options = coreOptionsFromEnv(env);
  const logger = runOptions.logger ?? pino({ level: options.logLevel });
  // By default the Core serves the Worker link (cluster secret from FL_CLUSTER_SECRET or the data dir).
  const cluster = runOptions.cluster ?? (await coreClusterFromEnv(env)).factory;
  const core = await startCore({ ...options, logger, cluster });
  // Signal handlers first: whoever waits for the line below may send SIGTERM at once.
  if (runOptions.handleSignals ?? true) exitOnSignals({ close: () => core.close(), logger, subject: 'Core' });
  const tokens = existsSync(core.tokensFile)
    ? `Tokens file: ${core.tokensFile}`
    : `Tokens: no file at ${core.tokensFile}: this database was set up earlier (from another data ` +
      'directory, or the file was removed); tokens are stored only as hashes, so set FL_ADMIN_TOKEN ' +
      'to choose an admin token';
  process.stdout.write(
    `FunLess Core listening on ${core.url}\nConsole: ${core.url}/ui/  (fl ui prints a one-time sign-in link)\n${tokens}\n`,
  );
  return core;
}
