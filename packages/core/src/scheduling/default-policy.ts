import type { Placement, PlacementRequest, WorkerView } from './types.js';

/**
 * The platform's own policy (docs/scheduling.md, "The default policy"): among the Workers with at least
 * `req.capacityMiB` MiB free, the one with the most free memory; on a tie, the one listed first
 * in `workers`. No such Worker: a failed placement whose reason says why.
 */
export function defaultPolicy(workers: readonly WorkerView[], req: PlacementRequest): Placement {
  const index = mostFreeIndex(workers, req.capacityMiB);
  if (index >= 0) return { ok: true, worker: workers[index]!.name };
  return { ok: false, reason: noRoomReason(workers, req.capacityMiB) };
}

/** Index in `workers` of the Worker with the most free memory among those with `capacityMiB` free; -1 if none. */
function mostFreeIndex(workers: readonly WorkerView[], capacityMiB: number): number {
  let best = -1;
  let bestFree = -Infinity;
  for (let i = 0; i < workers.length; i++) {
    const free = workers[i]!.memoryFreeMiB;
    if (free >= capacityMiB && free > bestFree) {
      best = i;
      bestFree = free;
    }
  }
  return best;
}

function noRoomReason(workers: readonly WorkerView[], capacityMiB: number): string {
  if (workers.length === 0) return 'no Worker is connected';
  let most = workers[0]!;
  for (const w of workers) if (w.memoryFreeMiB > most.memoryFreeMiB) most = w;
  if (workers.length === 1) {
    return `the only connected Worker, "${most.name}", has ${most.memoryFreeMiB} MiB free; the function needs ${capacityMiB} MiB`;
  }
  return (
    `none of the ${workers.length} connected Workers has the ${capacityMiB} MiB the function needs ` +
    `(most free: ${most.memoryFreeMiB} MiB on "${most.name}")`
  );
}
