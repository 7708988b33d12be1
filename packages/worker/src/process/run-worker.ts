import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { DEFAULT_TAG, envInt, exitOnSignals, FlError, loadClusterSecret } from '@funless/protocol';
import { pino } from 'pino';
import type { Logger } from 'pino';

import { discoveryFromEnv } from '../discovery/index.js';
import type { Discovery } from '../discovery/index.js';
import { runtimeOptionsFromEnv } from '../runtime/index.js';
import { startWorker } from './start-worker.js';
import type { StartWorkerOptions, WorkerHandle } from './start-worker.js';

/** The Worker's own environment variables (discovery's are read by `discoveryFromEnv`). */
export const WORKER_ENV_VARIABLES = {
  dataDir: 'FL_DATA_DIR',
  secret: 'FL_CLUSTER_SECRET',
  name: 'FL_WORKER_NAME',
  tag: 'FL_WORKER_TAG',
  memoryMiB: 'FL_WORKER_MEMORY_MIB',
  logLevel: 'FL_LOG_LEVEL',
  secretWaitMs: 'FL_SECRET_WAIT_MS',
  reconnectMaxDelayMs: 'FL_RECONNECT_MAX_DELAY_MS',
} as const;

/**
 * The Worker's tag, name and memory offer from `FL_WORKER_TAG`, `FL_WORKER_NAME` and
 * `FL_WORKER_MEMORY_MIB`, as `fl worker` and `fl up` both read them.
 */
export function workerIdentityFromEnv(
  env: NodeJS.ProcessEnv,
): Pick<StartWorkerOptions, 'tag' | 'name' | 'memoryMiB'> {
  const identity: Pick<StartWorkerOptions, 'tag' | 'name' | 'memoryMiB'> = {
    tag: env[WORKER_ENV_VARIABLES.tag]?.trim() || DEFAULT_TAG,
  };
  const name = env[WORKER_ENV_VARIABLES.name]?.trim();
  if (name) identity.name = name;
  const memoryMiB = envInt(env, WORKER_ENV_VARIABLES.memoryMiB, { min: 1 });
  if (memoryMiB !== undefined) identity.memoryMiB = memoryMiB;
  return identity;
}

export interface RunWorkerOptions {
  /** Install SIGTERM/SIGINT handlers that drain, close and exit. @default true */
  handleSignals?: boolean;
  /** @default a pino logger at `FL_LOG_LEVEL` (default info) */
  logger?: Logger;
  /** Discovery to use instead of the one the environment describes. */
  discovery?: Discovery;
}

/**
 * The secret from FL_CLUSTER_SECRET or the data directory. A Worker started beside its Core may
 * come up first: wait (up to FL_SECRET_WAIT_MS, default 30 s) for the Core to write the file.
 */
async function waitForSecret(env: NodeJS.ProcessEnv, dataDir: string, logger: Logger): Promise<string> {
  const waitMs = envInt(env, WORKER_ENV_VARIABLES.secretWaitMs, { min: 1 }) ?? 30_000;
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      return await loadClusterSecret({ secret: env.FL_CLUSTER_SECRET, dataDir, create: false });
    } catch (error) {
      if (!(error instanceof FlError) || !/no cluster secret/.test(error.message) || Date.now() >= deadline)
        throw error;
      if (!told) {
        logger.info(
          { dataDir },
          'waiting for the cluster secret (set FL_CLUSTER_SECRET, or start the Core here)',
        );
        told = true;
      }
      await sleep(250);
    }
  }
}

/**
 * The `fl worker` entry: reads the environment (`FL_DATA_DIR`, `FL_CLUSTER_SECRET`,
 * `FL_WORKER_NAME`, `FL_WORKER_TAG`, `FL_WORKER_MEMORY_MIB`, `FL_WORKER_THREADS`, `FL_RECONNECT_MAX_DELAY_MS`,
 * `FL_INVOKE_TIMEOUT_MS`, discovery's `FL_CORE_URL` / `FL_CORE_DNS` / multicast settings), starts
 * the Worker and, on SIGTERM or SIGINT, lets running invocations finish (up to 10 s) and exits.
 * Throws `ConfigError` naming the variable on bad configuration.
 */
export async function runWorker(
  env: NodeJS.ProcessEnv = process.env,
  runOptions: RunWorkerOptions = {},
): Promise<WorkerHandle> {
  const logger = runOptions.logger ?? pino({ level: env[WORKER_ENV_VARIABLES.logLevel]?.trim() || 'info' });
  const dataDir = resolve(env[WORKER_ENV_VARIABLES.dataDir]?.trim() || '.funless');
  const secret = await waitForSecret(env, dataDir, logger);
  const discovery = runOptions.discovery ?? discoveryFromEnv(env, { secret, logger });
  const options: StartWorkerOptions = {
    dataDir,
    secret,
    ...workerIdentityFromEnv(env),
    runtime: runtimeOptionsFromEnv(env),
    logger,
    discovery,
  };
  const reconnectMaxDelayMs = envInt(env, WORKER_ENV_VARIABLES.reconnectMaxDelayMs, { min: 1 });
  if (reconnectMaxDelayMs !== undefined) {
    options.reconnectMaxDelayMs = reconnectMaxDelayMs;
    options.reconnectInitialDelayMs = Math.min(200, reconnectMaxDelayMs);
  }
  const worker = await startWorker(options);
  if (runOptions.handleSignals ?? true)
    exitOnSignals({ close: () => worker.close(), logger, subject: 'Worker' });
  // Logged after the signal handlers: whoever waits for this line may send SIGTERM at once.
  logger.info({ worker: worker.name, tag: options.tag, discovery: discovery.kind }, 'FunLess Worker started');
  return worker;
}
