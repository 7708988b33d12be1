import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { test } from 'node:test';

import { HostUsage } from '../../src/agent/host-usage.js';

/** Busy CPU time of the machine so far, in ms (all cores). */
function busyMs(): number {
  return cpus().reduce((sum, { times }) => sum + times.user + times.nice + times.sys + times.irq, 0);
}

test('CPU use is the busy share of the machine since the previous sample; samples closer than 500 ms repeat it', () => {
  let now = 0;
  const usage = new HostUsage(() => now);
  now = 100;
  assert.equal(usage.sample().cpuUse, 0, 'too early for a measure: nothing yet');
  // Keep this thread busy until the kernel's counters show it (they tick every 10 ms), 5 s at most.
  const start = busyMs();
  const deadline = Date.now() + 5_000;
  while (busyMs() - start < 50 && Date.now() < deadline) {
    /* spin */
  }
  assert.ok(busyMs() - start >= 50, 'the machine counted the busy time');
  now = 1_000;
  const measured = usage.sample();
  assert.ok(measured.cpuUse > 0 && measured.cpuUse <= 1, `cpuUse ${measured.cpuUse}`);
  now = 1_200;
  assert.equal(usage.sample().cpuUse, measured.cpuUse, 'a sample 200 ms later repeats the measure');
  for (const load of [measured.loadAverage1, measured.loadAverage5, measured.loadAverage15]) {
    assert.ok(Number.isFinite(load) && load >= 0, `load ${load}`);
  }
});
