import type { Logger } from 'pino';

import type { LeaseRegistration, LeasedTask } from './cluster-lease.js';

interface Entry {
  task: LeasedTask;
  owned: boolean;
  /** start() and stop() run one after the other, never overlapping. */
  chain: Promise<void>;
}

/**
 * The registrations of a lease and whether each is owned: starts and stops tasks in order, logs
 * what they throw. The leases decide when a name is acquired or lost.
 */
export class LeaseBook {
  readonly #entries = new Map<string, Entry>();
  readonly #log: Logger;
  #closed = false;

  constructor(logger: Logger) {
    this.#log = logger;
  }

  get names(): string[] {
    return [...this.#entries.keys()];
  }

  get closed(): boolean {
    return this.#closed;
  }

  add(name: string, task: LeasedTask): LeaseRegistration {
    if (this.#closed) throw new Error(`cluster lease: ${name} registered after the lease was closed`);
    if (this.#entries.has(name)) throw new Error(`cluster lease: ${name} is already registered`);
    const entry: Entry = { task, owned: false, chain: Promise.resolve() };
    this.#entries.set(name, entry);
    return {
      get owned() {
        return entry.owned;
      },
      close: async () => {
        if (this.#entries.get(name) !== entry) return;
        this.lost(name);
        this.#entries.delete(name);
        await entry.chain;
        await this.onRemove?.(name);
      },
    };
  }

  /** Called when a registration closes: the lease releases what it holds for the name. */
  onRemove: ((name: string) => void | Promise<void>) | undefined;

  owns(name: string): boolean {
    return this.#entries.get(name)?.owned ?? false;
  }

  acquired(name: string): void {
    const entry = this.#entries.get(name);
    if (entry === undefined || entry.owned || this.#closed) return;
    entry.owned = true;
    this.#log.info({ lease: name }, `cluster lease: this Core now owns ${name}`);
    entry.chain = entry.chain.then(() => this.#call(name, 'start', entry.task));
  }

  lost(name: string): void {
    const entry = this.#entries.get(name);
    if (entry === undefined || !entry.owned) return;
    entry.owned = false;
    this.#log.info({ lease: name }, `cluster lease: this Core no longer owns ${name}`);
    entry.chain = entry.chain.then(() => this.#call(name, 'stop', entry.task));
  }

  lostAll(): void {
    for (const name of this.#entries.keys()) this.lost(name);
  }

  /** Stops every owned task and waits for every start and stop to finish. */
  async closeAll(): Promise<void> {
    this.lostAll();
    this.#closed = true;
    await Promise.all([...this.#entries.values()].map((e) => e.chain));
  }

  async #call(name: string, what: 'start' | 'stop', task: LeasedTask): Promise<void> {
    try {
      await task[what]();
    } catch (error) {
      this.#log.error({ err: error, lease: name }, `cluster lease: ${what} of ${name} failed`);
    }
  }
}
