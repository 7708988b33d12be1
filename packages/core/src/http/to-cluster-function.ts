import type { ClusterFunction } from '../cluster/index.js';
import type { FunctionRecord } from '../store/index.js';

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
