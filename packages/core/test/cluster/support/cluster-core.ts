import assert from 'node:assert/strict';

import { pino } from 'pino';

import { coreClusterFromEnv, CoreCluster, startCore } from '../../../src/index.js';
import type { CoreClusterOptions, RunningCore, StartCoreOptions } from '../../../src/index.js';

/** A listening Core and the cluster it serves its Workers with. */
export interface ClusterCore {
  core: RunningCore;
  cluster: CoreCluster;
}

/**
 * Starts a Core on a free port with the cluster `fl core` builds from `env` (`FL_DATA_DIR`,
 * `FL_CLUSTER_SECRET`, `FL_DISCOVERY`…) and `clusterOptions`, silent unless `core` gives a logger;
 * Worker processes then join it at `core.url`.
 */
export async function startClusterCore(
  env: Record<string, string> & { FL_DATA_DIR: string },
  core: Omit<StartCoreOptions, 'cluster' | 'port' | 'dataDir'> = {},
  clusterOptions: Partial<Omit<CoreClusterOptions, 'store' | 'server' | 'metrics'>> = {},
): Promise<ClusterCore> {
  const { factory } = await coreClusterFromEnv(env, clusterOptions);
  let cluster: CoreCluster | undefined;
  const running = await startCore({
    logger: pino({ level: 'silent' }),
    ...core,
    port: 0,
    dataDir: env.FL_DATA_DIR,
    cluster: (ctx) => {
      const built = factory(ctx);
      assert.ok(built instanceof CoreCluster);
      cluster = built;
      return built;
    },
  });
  assert.ok(cluster, 'the Core built its cluster');
  return { core: running, cluster };
}
