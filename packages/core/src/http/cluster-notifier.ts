import type { Logger } from 'pino';

import type { Cluster, ClusterFunction, ClusterFunctionCode, PushReport } from '../cluster/index.js';
import type { FunctionRecord, FunctionWithCode } from '../store/index.js';
import { toClusterFunction } from './to-cluster-function.js';

/**
 * Tells the cluster about stored changes. The database change has already happened when these
 * run, so a cluster failure must not turn the request into an error: it is logged, and a failed
 * push is reported as missing Workers.
 */
export class ClusterNotifier {
  constructor(
    private readonly cluster: Cluster,
    private readonly logger: Logger,
  ) {}

  async stored(fn: FunctionWithCode, wait: boolean): Promise<PushReport> {
    const pushed: ClusterFunctionCode = { ...toClusterFunction(fn), code: fn.code };
    try {
      return await this.cluster.functionStored(pushed, { wait });
    } catch (error) {
      this.logger.error(
        { err: error, module: fn.module, function: fn.name },
        'pushing code to Workers failed',
      );
      return {
        acknowledged: [],
        missing: [{ worker: '*', reason: `push failed: ${(error as Error).message}` }],
      };
    }
  }

  async deleted(fn: FunctionRecord | ClusterFunction): Promise<void> {
    const ref = 'metadata' in fn ? toClusterFunction(fn) : fn;
    try {
      await this.cluster.functionDeleted(ref);
    } catch (error) {
      this.logger.error(
        { err: error, module: ref.module, function: ref.name },
        'telling Workers to drop code failed',
      );
    }
  }
}
