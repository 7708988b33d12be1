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

  async invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    this.invocations++;
    await this.hold;
    if (this.held.get(`${req.module}/${req.name}`)?.hash !== req.hash) return { type: 'missing' };
    return { type: 'result', result: req.input, logs: [], durationMs: 1 };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
