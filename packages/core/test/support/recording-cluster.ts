import type {
  Cluster,
  ClusterFunction,
  ClusterFunctionCode,
  InvokeOptions,
  PushReport,
  WorkerInfo,
} from '../../src/cluster/index.js';

/**
 * A cluster that records what the HTTP layer tells it and answers invocations as told. The raw
 * input is kept as `input` and, parsed, as `args`; `onInvoke`'s value goes back as its JSON.
 */
export class RecordingCluster implements Cluster {
  readonly stored: { fn: ClusterFunctionCode; wait: boolean }[] = [];
  readonly deleted: ClusterFunction[] = [];
  readonly invocations: {
    fn: ClusterFunction;
    args: unknown;
    input: Uint8Array;
    options: InvokeOptions | undefined;
  }[] = [];
  closed = false;
  pushReport: PushReport = { acknowledged: ['w1'], missing: [] };
  /** The Worker the invocations are said to run on (in their details). */
  workerName = 'w1';
  /** The time in the guest the invocations report (in their details). */
  durationMs = 0.25;
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

  async invoke(fn: ClusterFunction, input: Uint8Array, options?: InvokeOptions): Promise<Uint8Array> {
    const args: unknown = JSON.parse(Buffer.from(input).toString());
    this.invocations.push({ fn, args, input, options });
    if (options?.details) options.details.worker = this.workerName;
    const result = Buffer.from(JSON.stringify(await this.onInvoke(fn, args)));
    if (options?.details) options.details.durationMs = this.durationMs;
    return result;
  }

  workers(): WorkerInfo[] {
    return this.workerList;
  }

  closeLinks(): void {}

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
