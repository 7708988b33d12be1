import { cpus, loadavg } from 'node:os';

/** What a Worker reports about its machine's load (the `report` message's fields). */
export interface HostUsageSample {
  /** Share of the machine's CPU time (all cores) busy since the previous sample, from 0 to 1. */
  cpuUse: number;
  /** Load averages over 1, 5 and 15 minutes. */
  loadAverage1: number;
  loadAverage5: number;
  loadAverage15: number;
}

/** A sample closer than this to the previous one repeats it: several Cores' reports share one. */
const MIN_SAMPLE_INTERVAL_MS = 500;

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/**
 * The machine's CPU use and load average, as FunLess's Workers reported them: CPU use from the
 * kernel's per-core time counters (`os.cpus()`), the share of time not idle between two samples;
 * the load average from `os.loadavg()`. Both describe the machine, not a container's CPU quota.
 */
export class HostUsage {
  #last: CpuTimes;
  #lastAt: number;
  #cpuUse = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.#last = cpuTimes();
    this.#lastAt = this.now();
  }

  sample(): HostUsageSample {
    const at = this.now();
    if (at - this.#lastAt >= MIN_SAMPLE_INTERVAL_MS) {
      const times = cpuTimes();
      const total = times.total - this.#last.total;
      const busy = times.busy - this.#last.busy;
      // No cores listed (some sandboxes) or counters that went back: nothing to say but 0.
      this.#cpuUse = total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0;
      this.#last = times;
      this.#lastAt = at;
    }
    const [one = 0, five = 0, fifteen = 0] = loadavg();
    return { cpuUse: this.#cpuUse, loadAverage1: one, loadAverage5: five, loadAverage15: fifteen };
  }
}
