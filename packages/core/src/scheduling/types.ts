/**
 * What scheduling policies decide on. A policy is a pure function of a snapshot of the Workers
 * and the function to place: no I/O, no clock.
 */

/** One Worker as the scheduler sees it at decision time. */
export interface WorkerView {
  name: string;
  tag: string;
  /** Total memory the Worker offers to functions, in MiB. */
  memoryTotalMiB: number;
  /**
   * Free memory in MiB: the last report minus what the Core has placed on it since
   * (capacity reserved by in-flight invocations).
   */
  memoryFreeMiB: number;
  /** Invocations the Core has placed on it that have not finished. */
  inFlight: number;
  /** Tags of the functions running on it now, with how many of each. */
  runningTags: ReadonlyMap<string, number>;
}

/** The function being placed. */
export interface PlacementRequest {
  tag: string;
  capacityMiB: number;
}

/** A decision: the chosen Worker, or why there is none. */
export type Placement = { ok: true; worker: string } | { ok: false; reason: string };

/**
 * A placement policy: the one shape of every way to choose a Worker (the default policy, an APP
 * script's decisions). A pure function of the snapshot and the function to place.
 */
export type PlacementPolicy = (workers: readonly WorkerView[], req: PlacementRequest) => Placement;

/**
 * The scheduling part of an invocation, as the caller wrote it: `{"language": "app", "script":
 * "<name>"}` or `{"language": "none"}`. `resolvePolicy` turns it into a `PlacementPolicy`.
 */
export interface SchedulingRequest {
  language: string;
  script?: string;
}
