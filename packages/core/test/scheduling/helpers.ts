import assert from 'node:assert/strict';

import { parseAppScript } from '../../src/scheduling/index.js';
import type { AppScript, WorkerView } from '../../src/scheduling/index.js';

export interface WorkerSpec {
  total?: number;
  free?: number;
  inFlight?: number;
  running?: Record<string, number>;
}

/** A Worker view with 1 GiB, all free, nothing running, unless told otherwise. */
export function worker(name: string, spec: WorkerSpec = {}): WorkerView {
  const total = spec.total ?? 1024;
  return {
    name,
    tag: 'default',
    memoryTotalMiB: total,
    memoryFreeMiB: spec.free ?? total,
    inFlight: spec.inFlight ?? 0,
    runningTags: new Map(Object.entries(spec.running ?? {})),
  };
}

/** Parses a script the test knows to be valid. */
export function script(text: string): AppScript {
  const parsed = parseAppScript(text);
  if (!parsed.ok)
    assert.fail(`test script does not parse:\n${parsed.problems.map((p) => p.message).join('\n')}`);
  return parsed.script;
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
