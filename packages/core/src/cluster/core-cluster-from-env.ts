import { envInt, loadClusterSecret } from '@funless/protocol';

import { coreOptionsFromEnv } from '../config/index.js';
import { announcerFromEnv } from '../discovery/index.js';
import type { ClusterFactory } from './cluster-factory.js';
import { CoreCluster } from './core-cluster.js';
import type { CoreClusterOptions } from './core-cluster.js';

/** The environment variables of the Core's side of the cluster. */
export const CLUSTER_ENV_VARIABLES = {
  secret: 'FL_CLUSTER_SECRET',
  pushTimeoutMs: 'FL_PUSH_TIMEOUT_MS',
  livenessTimeoutMs: 'FL_LIVENESS_TIMEOUT_MS',
  reportIntervalMs: 'FL_REPORT_INTERVAL_MS',
  maxPendingJoins: 'FL_MAX_PENDING_JOINS',
} as const;

/**
 * The Core's cluster as the environment configures it, ready for `startCore({ cluster })`: the
 * cluster secret (`FL_CLUSTER_SECRET`, else `$FL_DATA_DIR/cluster-secret`, generated with mode
 * 0600 at first start), the time limits (`FL_PUSH_TIMEOUT_MS`, `FL_LIVENESS_TIMEOUT_MS`,
 * `FL_REPORT_INTERVAL_MS`, `FL_INVOKE_TIMEOUT_MS`), the connections that may wait to join
 * (`FL_MAX_PENDING_JOINS`) and the LAN announcer (`FL_DISCOVERY`…).
 * Placement is what each invocation hands over (`InvokeOptions.policy`).
 * Throws `ConfigError` naming the variable when a value is bad.
 *
 * @param overrides - options that win over the environment (tests, the one-command platform).
 */
export async function coreClusterFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Omit<CoreClusterOptions, 'store' | 'server' | 'metrics'>> = {},
): Promise<{ secret: string; factory: ClusterFactory }> {
  const { dataDir } = coreOptionsFromEnv(env);
  const secret =
    overrides.secret ?? (await loadClusterSecret({ secret: env.FL_CLUSTER_SECRET, dataDir, create: true }));
  const fromEnv: Partial<CoreClusterOptions> = {};
  const pushTimeoutMs = envInt(env, CLUSTER_ENV_VARIABLES.pushTimeoutMs, { min: 1 });
  if (pushTimeoutMs !== undefined) fromEnv.pushTimeoutMs = pushTimeoutMs;
  const livenessTimeoutMs = envInt(env, CLUSTER_ENV_VARIABLES.livenessTimeoutMs, { min: 1 });
  if (livenessTimeoutMs !== undefined) fromEnv.livenessTimeoutMs = livenessTimeoutMs;
  const reportIntervalMs = envInt(env, CLUSTER_ENV_VARIABLES.reportIntervalMs, { min: 1 });
  if (reportIntervalMs !== undefined) fromEnv.reportIntervalMs = reportIntervalMs;
  const maxPendingJoins = envInt(env, CLUSTER_ENV_VARIABLES.maxPendingJoins, { min: 1 });
  if (maxPendingJoins !== undefined) fromEnv.maxPendingJoins = maxPendingJoins;

  const factory: ClusterFactory = ({ store, server, logger, options, metrics }) =>
    new CoreCluster({
      invokeTimeoutMs: options.invokeTimeoutMs,
      announce: async ({ port }) => {
        const announcer = announcerFromEnv(env, {
          secret,
          corePort: port,
          host: options.host,
          // The link is wss on a Core that serves HTTPS (FL_TLS_CERT).
          scheme: options.tls === undefined ? 'ws' : 'wss',
          logger,
        });
        await announcer?.start();
        return announcer;
      },
      ...fromEnv,
      ...overrides,
      secret,
      store,
      server,
      logger: logger.child({ component: 'cluster' }),
      ...(metrics ? { metrics } : {}),
    });
  return { secret, factory };
}
