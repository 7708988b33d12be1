import type {
  Cluster,
  ClusterFunction,
  ClusterFunctionCode,
  InvokeOptions,
  PushReport,
  WorkerInfo,
} from '../../src/cluster/index.js';

/** A cluster that records what the HTTP layer tells it and answers invocations as told. */
export class RecordingCluster implements Cluster {
  readonly stored: { fn: ClusterFunctionCode; wait: boolean }[] = [];
  readonly deleted: ClusterFunction[] = [];
  readonly invocations: { fn: ClusterFunction; args: unknown; options: InvokeOptions | undefined }[] = [];
  closed = false;
  pushReport: PushReport = { acknowledged: ['w1'], missing: [] };
  workerList: WorkerInfo[] = [];

  constructor(private readonly onInvoke: (fn: ClusterFunction, args: unknown) => Promise<unknown>) {}

  functionStored(fn: ClusterFunctionCode, options: { wait: boolean }): Promise<PushReport> {
    this.stored.push({ fn, wait: options.wait });
    return Promise.resolve(this.pushReport);
  }

  functionDeleted(fn: ClusterFunction): Promise<void> {
    this.deleted.push(fn);
    return Promise.resolve();
  }

  invoke(fn: ClusterFunction, args: unknown, options?: InvokeOptions): Promise<unknown> {
    this.invocations.push({ fn, args, options });
    return this.onInvoke(fn, args);
  }

  workers(): WorkerInfo[] {
    return this.workerList;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
