import { WORKER_RESOURCE_LIMITS } from '@funless/protocol';
import type { JoinMessage, ReportMessage } from '@funless/protocol';

/** What is wrong with the resources a `join` or a `report` claims, if anything (`WORKER_RESOURCE_LIMITS`). */
export function resourceProblem(claim: JoinMessage | ReportMessage): string | undefined {
  const max = WORKER_RESOURCE_LIMITS.maxMemoryMiB;
  const inRange = (v: number, top: number) => Number.isFinite(v) && v >= 0 && v <= top;
  if (!inRange(claim.memoryTotalMiB, max)) {
    return `memoryTotalMiB ${claim.memoryTotalMiB} is not between 0 and ${max}`;
  }
  if (!inRange(claim.memoryFreeMiB, claim.memoryTotalMiB)) {
    return `memoryFreeMiB ${claim.memoryFreeMiB} is not between 0 and memoryTotalMiB ${claim.memoryTotalMiB}`;
  }
  if (claim.type === 'join' && !inRange(claim.threads, WORKER_RESOURCE_LIMITS.maxThreads)) {
    return `threads ${claim.threads} is not between 0 and ${WORKER_RESOURCE_LIMITS.maxThreads}`;
  }
  if (claim.type === 'report') {
    if (!inRange(claim.reservedMiB, max))
      return `reservedMiB ${claim.reservedMiB} is not between 0 and ${max}`;
    if (!inRange(claim.running, Number.MAX_SAFE_INTEGER)) return `running ${claim.running} is negative`;
    if (!inRange(claim.cpuUse, 1)) return `cpuUse ${claim.cpuUse} is not between 0 and 1`;
    const maxLoad = WORKER_RESOURCE_LIMITS.maxLoadAverage;
    for (const field of ['loadAverage1', 'loadAverage5', 'loadAverage15'] as const) {
      if (!inRange(claim[field], maxLoad)) return `${field} ${claim[field]} is not between 0 and ${maxLoad}`;
    }
  }
  return undefined;
}
