import { ErrorCode, FlError } from '@funless/protocol';

import type { AgentRuntime } from '../../src/agent/index.js';
import type { FunctionCode, FunctionRef, InvokeOutcome, InvokeRequest } from '../../src/runtime/index.js';

/**
 * A runtime stand-in for the agent's tests: keeps code in a map and "runs" every function as an
 * echo of its input. It passes the same contract test as the real `Runtime`
 * (agent-runtime-contract.test.ts), so what the agent's tests show holds with the real one.
 */
export class StubRuntime implements AgentRuntime {
  /** The version held of each function, by `module/name`. */
  readonly held = new Map<string, { hash: string; code: Uint8Array }>();
  readonly dropped: FunctionRef[] = [];
  invocations = 0;
  /** Invocations that started (`onStart`): those not dropped while they waited. */
  started = 0;
  /** While set, invocations wait for it. */
  hold: Promise<void> | undefined;

  store(fn: FunctionCode): Promise<void> {
    this.held.set(`${fn.module}/${fn.name}`, { hash: fn.hash, code: fn.code });
    return Promise.resolve();
  }

  list(): FunctionRef[] {
    return [...this.held].map(([key, { hash }]) => {
      const [module, name] = key.split('/') as [string, string];
      return { module, name, hash };
    });
  }

  drop(ref: FunctionRef): Promise<boolean> {
    this.dropped.push(ref);
    const key = `${ref.module}/${ref.name}`;
    if (this.held.get(key)?.hash !== ref.hash) return Promise.resolve(false);
    this.held.delete(key);
    return Promise.resolve(true);
  }

  /**
   * "Runs" an invocation: while `hold` is set it waits as in a queue (its signal drops it there),
   * then it starts (`onStart`) and answers its input.
   */
  async invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    this.invocations++;
    const { signal } = req;
    if (this.hold) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(abortReason(signal!));
        signal?.addEventListener('abort', onAbort, { once: true });
        void this.hold!.then(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    if (this.held.get(`${req.module}/${req.name}`)?.hash !== req.hash) return { type: 'missing' };
    if (signal?.aborted) throw abortReason(signal);
    req.onStart?.();
    this.started++;
    return { type: 'result', result: req.input, logs: [], logsTruncated: false, durationMs: 1 };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function abortReason(signal: AbortSignal): FlError {
  const reason: unknown = signal.reason;
  return reason instanceof FlError
    ? reason
    : new FlError(ErrorCode.Timeout, 'the invocation was cancelled before it started, so it did not run');
}
