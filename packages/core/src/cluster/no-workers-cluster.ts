import { ErrorCode, FlError } from '@funless/protocol';

import type { Cluster, ClusterFunction, ClusterFunctionCode, PushReport, WorkerInfo } from './cluster.js';

/** The cluster of a Core with no Worker link: code changes go nowhere, invocations fail with 503. */
export class NoWorkersCluster implements Cluster {
  functionStored(_fn: ClusterFunctionCode, _options: { wait: boolean }): Promise<PushReport> {
    return Promise.resolve({ acknowledged: [], missing: [] });
  }

  functionDeleted(_fn: ClusterFunction): Promise<void> {
    return Promise.resolve();
  }

  invoke(_fn: ClusterFunction, _input: Uint8Array): Promise<Uint8Array> {
    return Promise.reject(new FlError(ErrorCode.NoWorker, 'No worker available'));
  }

  workers(): WorkerInfo[] {
    return [];
  }

  closeLinks(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}
