import type { AppFollowup, AppScript, AppStrategy } from './types.js';

/** One block in the words of the language, every default written out. */
export interface AppBlockJson {
  workers: '*' | string[];
  strategy: AppStrategy;
  invalidate: {
    /** Percent; null when unset. */
    capacity_used: number | null;
    /** null when unset. */
    max_concurrent_invocations: number | null;
  };
  /** As written: `tag` for affinity, `!tag` for anti-affinity. */
  affinity: string[];
}

export interface AppTagEntryJson {
  tag: string;
  blocks: AppBlockJson[];
  followup: AppFollowup;
}

/** The parsed form of a script as the API shows it. */
export type AppScriptJson = AppTagEntryJson[];

/**
 * The parsed form of `script` for API responses: the same vocabulary as the YAML (snake_case keys,
 * `"!tag"` anti-affinity) with every default made explicit, so a user sees how the script was read.
 */
export function appScriptToJson(script: AppScript): AppScriptJson {
  return script.entries.map((entry) => ({
    tag: entry.tag,
    blocks: entry.blocks.map((block) => ({
      workers: block.workers === '*' ? '*' : [...block.workers],
      strategy: block.strategy,
      invalidate: {
        capacity_used: block.invalidate.capacityUsedPercent ?? null,
        max_concurrent_invocations: block.invalidate.maxConcurrentInvocations ?? null,
      },
      affinity: [...block.affinity, ...block.antiAffinity.map((t) => `!${t}`)],
    })),
    followup: entry.followup,
  }));
}
