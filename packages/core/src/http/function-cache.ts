import type { ClusterFunction } from '../cluster/index.js';
import type { FunctionRecord, Store } from '../store/index.js';

/** The cluster's view of a stored function. */
export function toClusterFunction(fn: FunctionRecord): ClusterFunction {
  return {
    module: fn.module,
    name: fn.name,
    hash: fn.hash,
    tag: fn.metadata.tag,
    capacityMiB: fn.metadata.capacityMiB,
  };
}

/**
 * Functions by `(module, name)` for invocations, so that an invoke costs no query. Any change to
 * modules or functions clears it all: changes are rare, and a partial invalidation is easy to get
 * wrong (renames, cascades).
 */
export class FunctionCache {
  private readonly entries = new Map<string, ClusterFunction>();
  // Bumped on every invalidation so that a lookup that started before a change does not put back
  // what the change removed.
  private generation = 0;

  constructor(
    private readonly store: Store,
    /** Most entries kept; the cache empties when full. @default 10_000 */
    private readonly maxEntries = 10_000,
  ) {}

  async get(module: string, name: string): Promise<ClusterFunction | undefined> {
    const key = `${module}/${name}`;
    const cached = this.entries.get(key);
    if (cached) return cached;
    const generation = this.generation;
    const fn = await this.store.getFunction(module, name);
    if (!fn) return undefined;
    const value = toClusterFunction(fn);
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }
}
