import type { Placement, PlacementRequest, WorkerView } from '../types.js';
import { CompiledAppScript } from './compiled-app-script.js';
import type { AppScript } from './types.js';

const compiled = new WeakMap<AppScript, CompiledAppScript>();

/**
 * Prepares `script` for decisions (done once per script object and cached while the object lives).
 * Exposed so that a caller holding a script can pay the cost ahead of the first invocation.
 */
export function compileAppScript(script: AppScript): CompiledAppScript {
  let result = compiled.get(script);
  if (result === undefined) {
    result = new CompiledAppScript(script);
    compiled.set(script, result);
  }
  return result;
}

/**
 * Places one invocation with an APP script (docs/scheduling.md, "How a decision is made"). The function's tag
 * selects its entry, else the `default` entry, else the placement fails with "no matching tag".
 * Blocks are tried in order; in each, Workers absent from `workers` (not connected) are skipped and
 * a Worker is valid when `req.capacityMiB` fits its free memory, neither `invalidate` threshold is
 * crossed and its running tags satisfy the block's affinity. `best-first` takes the first valid
 * Worker in the order listed (for `"*"`, the order of `workers`), `random` a valid one uniformly,
 * `platform` the valid one with the most free memory. When no block finds one, `followup: default`
 * tries the `default` entry; otherwise the failure's reason names the tag and why each block failed.
 *
 * `script` must come from {@link parseAppScript} (it is trusted, not checked again) and must not
 * be mutated afterwards: its prepared form is cached per object.
 *
 * @param random - source of uniform numbers in [0, 1) for the `random` strategy. @default Math.random
 */
export function decideApp(
  script: AppScript,
  workers: readonly WorkerView[],
  req: PlacementRequest,
  random: () => number = Math.random,
): Placement {
  return compileAppScript(script).decide(workers, req, random);
}
