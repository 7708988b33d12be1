/**
 * The parsed form of an APP (Allocation Priority Policies) script: docs/scheduling.md, "Reference".
 * Plain data, so it can be cached, compared and sent as JSON.
 */

/** How a block picks among its valid Workers. */
export const AppStrategy = { BestFirst: 'best-first', Random: 'random', Platform: 'platform' } as const;
export type AppStrategy = (typeof AppStrategy)[keyof typeof AppStrategy];
export const APP_STRATEGIES: readonly AppStrategy[] = Object.values(AppStrategy);

/** What happens when no block of a tag entry finds a Worker. */
export const AppFollowup = { Default: 'default', Fail: 'fail' } as const;
export type AppFollowup = (typeof AppFollowup)[keyof typeof AppFollowup];
export const APP_FOLLOWUPS: readonly AppFollowup[] = Object.values(AppFollowup);

/** The tag whose entry applies when a function's tag has none, and the `followup: default` target. */
export const APP_DEFAULT_TAG = 'default';

/** `workers: "*"`: every connected Worker, in the order of the cluster's snapshot. */
export const APP_ALL_WORKERS = '*';

/** Thresholds that make a Worker invalid for a block. */
export interface AppInvalidate {
  /**
   * Percentage (0–100) of the Worker's total memory that may be in use once this invocation is
   * placed; a Worker that would go over it is skipped. Unset: no limit.
   */
  capacityUsedPercent?: number;
  /** A Worker already running this many invocations (or more) is skipped. Unset: no limit. */
  maxConcurrentInvocations?: number;
}

/** One block of a tag entry: a set of Workers and how to choose among them. */
export interface AppBlock {
  /** Worker names in priority order, or `"*"` for every connected Worker. */
  workers: typeof APP_ALL_WORKERS | string[];
  /** @default "best-first" */
  strategy: AppStrategy;
  invalidate: AppInvalidate;
  /** Tags that must each be running on the Worker (affinity `[t]`). */
  affinity: string[];
  /** Tags that must not be running on the Worker (anti-affinity `["!t"]`). */
  antiAffinity: string[];
}

/** The blocks that place functions with one tag. */
export interface AppTagEntry {
  tag: string;
  /** Tried in order; never empty. */
  blocks: AppBlock[];
  /** @default "fail" */
  followup: AppFollowup;
}

/** A whole script: its tag entries in the order written (tags are unique). */
export interface AppScript {
  entries: AppTagEntry[];
}

/** What kind of mistake a problem reports; stable, for programs and tests. */
export const AppProblemKind = {
  /** The text does not parse as YAML. */
  NotYaml: 'not_yaml',
  /** The document is not a list of `- tag: [blocks]` entries, or an entry is malformed. */
  NotTagList: 'not_tag_list',
  /** A tag entry has no blocks. */
  NoBlocks: 'no_blocks',
  /** A block is not a mapping. */
  BadBlock: 'bad_block',
  /** A block has no `workers`. */
  MissingWorkers: 'missing_workers',
  /** `workers` is neither a list of names nor `"*"`. */
  BadWorkers: 'bad_workers',
  UnknownStrategy: 'unknown_strategy',
  UnknownFollowup: 'unknown_followup',
  /** `invalidate` is not a mapping. */
  BadInvalidate: 'bad_invalidate',
  BadCapacityUsed: 'bad_capacity_used',
  BadMaxConcurrentInvocations: 'bad_max_concurrent_invocations',
  /** `affinity` is not a list of `tag` / `"!tag"` strings, or contradicts itself. */
  BadAffinity: 'bad_affinity',
  UnknownKey: 'unknown_key',
  DuplicateTag: 'duplicate_tag',
} as const;
export type AppProblemKind = (typeof AppProblemKind)[keyof typeof AppProblemKind];

/** One mistake in a script, with where it is and what was expected. */
export interface AppProblem {
  kind: AppProblemKind;
  /** The tag entry at fault, when known. */
  tag?: string;
  /** 1-based position of the entry in the script's list. */
  entry?: number;
  /** 1-based block number within the tag entry. */
  block?: number;
  /** The field at fault, dotted for nested ones (`invalidate.capacity_used`). */
  field?: string;
  /** 1-based line and column in the uploaded text. */
  line?: number;
  column?: number;
  /** What was expected, in words. */
  expected: string;
  /** The whole problem in one sentence, location first. */
  message: string;
}

/** What {@link parseAppScript} returns: the script, or every problem found. */
export type AppParseResult = { ok: true; script: AppScript } | { ok: false; problems: AppProblem[] };
