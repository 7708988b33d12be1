import { relative } from 'node:path';

import { coreClusterFromEnv, coreOptionsFromEnv, CoreCluster, startCore } from '@funless/core';
import type { RunningCore } from '@funless/core';
import { exitOnSignals } from '@funless/protocol';
import type { LinkDialer } from '@funless/protocol';
import { runtimeOptionsFromEnv, startWorker, workerIdentityFromEnv } from '@funless/worker';
import type { StartWorkerOptions, WorkerHandle } from '@funless/worker';
import type { Logger } from 'pino';

import { platformLogger } from '../logging/index.js';

/** The Core and the Worker `npm start` runs. */
export interface RunningPlatform {
  core: RunningCore;
  worker: WorkerHandle;
  /** Closes the Worker (letting running invocations finish), then the Core. Safe to call twice. */
  close(): Promise<void>;
}

export interface RunPlatformOptions {
  /** Install SIGTERM/SIGINT handlers that close both and exit. @default true */
  handleSignals?: boolean;
  /** Where the welcome text goes. @default process.stdout */
  out?: { write(text: string): unknown };
  /** How long to wait for the Worker to join before printing anyway, in ms. @default 10_000 */
  joinTimeoutMs?: number;
  /** The Core's and the Worker's logger. @default `platformLogger(env)` (FL_LOG_FORMAT, FL_LOG_LEVEL) on stdout */
  logger?: Logger;
}

/**
 * The one-command platform (`npm start`, `fl up`): a Core with its cluster and one Worker in this
 * process, joined by the same authenticated link as on a real cluster, carried in process (no
 * socket, no framing: docs/architecture.md, "The link"); Workers of other processes can still join
 * it over WebSocket. On
 * SQLite (or `DATABASE_URL`) under `FL_DATA_DIR`, listening on `FL_HOST` (default 127.0.0.1) and
 * `FL_PORT` (default 4000). Prints the URL, where the tokens are and the next command to try.
 * Configuration errors throw `FlError(bad_request)` naming the variable.
 */
export async function runPlatform(
  env: NodeJS.ProcessEnv = process.env,
  options: RunPlatformOptions = {},
): Promise<RunningPlatform> {
  const platformEnv: NodeJS.ProcessEnv = { ...env, FL_HOST: env.FL_HOST?.trim() || '127.0.0.1' };
  const coreOptions = coreOptionsFromEnv(platformEnv);
  const { secret, factory } = await coreClusterFromEnv(platformEnv);
  const logger = options.logger ?? platformLogger(platformEnv);
  let cluster: CoreCluster | undefined;
  const core = await startCore({
    ...coreOptions,
    logger,
    cluster: (context) => {
      const built = factory(context);
      if (built instanceof CoreCluster) cluster = built;
      return built;
    },
  });
  let worker: WorkerHandle;
  try {
    if (!cluster) throw new Error('the platform needs a CoreCluster to connect its Worker to');
    const inProcess = cluster;
    const dialer: LinkDialer = {
      url: `in-process:${inProcess.coreId}`,
      dial: () => inProcess.connectInProcess(),
    };
    const workerOptions: StartWorkerOptions = {
      dataDir: coreOptions.dataDir,
      secret,
      ...workerIdentityFromEnv(platformEnv),
      cores: [dialer],
      runtime: runtimeOptionsFromEnv(platformEnv),
      logger: core.app.log.child({ component: 'worker' }),
    };
    worker = await startWorker(workerOptions);
  } catch (error) {
    await core.close();
    throw error;
  }
  let timer: NodeJS.Timeout | undefined;
  const joined = await Promise.race([
    worker.agent.joined().then(() => true),
    new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), options.joinTimeoutMs ?? 10_000)),
    ),
  ]);
  clearTimeout(timer);

  let closing: Promise<void> | undefined;
  const platform: RunningPlatform = {
    core,
    worker,
    close: () =>
      (closing ??= (async () => {
        await worker.close();
        await core.close();
      })()),
  };
  const out = options.out ?? process.stdout;
  const tokens = relative(process.cwd(), core.tokensFile) || core.tokensFile;
  const database = coreOptions.databaseUrl
    ? 'PostgreSQL'
    : `SQLite in ${relative(process.cwd(), coreOptions.dataDir) || '.'}`;
  // Signal handlers before the banner: whoever waits for it may send SIGTERM at once.
  if (options.handleSignals ?? true) {
    exitOnSignals({ close: () => platform.close(), logger: core.app.log, subject: 'platform' });
  }
  out.write(
    [
      '',
      `FunLess is up at ${core.url}  (Core + Worker "${worker.name}"${joined ? '' : ' (not joined yet)'}, ${database})`,
      `Console: ${core.url}/ui/  (npx fl ui prints a one-time sign-in link)`,
      `Tokens: ${tokens}  (Admin=… and Guest=…; the fl CLI reads them from there)`,
      '',
      'Next, in another terminal:',
      '  npx fl fn new hello -l as             # a function from a template',
      '  npx fl fn create hello ./hello        # build and upload it',
      '  npx fl fn invoke hello -a name=World  # run it',
      '',
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  return platform;
}
