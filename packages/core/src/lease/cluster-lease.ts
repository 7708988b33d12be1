/**
 * Work that must run once per cluster (activation retention, scheduled triggers, event
 * subscriptions) has one owner at a time among the Cores sharing a database. The domain owns this
 * interface; `SingleCoreLease` (SQLite: one Core, always the owner) and `PostgresLease` (advisory
 * locks) implement it. See docs/architecture.md, "Several Cores".
 */

/** What runs while this Core owns a name. */
export interface LeasedTask {
  /** Called when this Core becomes the owner. A rejection is logged; the task stays owned. */
  start(): void | Promise<void>;
  /**
   * Called when this Core stops being the owner (its database session was lost, the lease or the
   * registration was closed). Must stop the work promptly: another Core may already own it.
   */
  stop(): void | Promise<void>;
}

/** One registration of `ClusterLease.run`. */
export interface LeaseRegistration {
  /** Whether this Core owns the name right now. */
  readonly owned: boolean;
  /** Gives the name up (stopping the task if it runs) and stops trying to own it. */
  close(): Promise<void>;
}

export interface ClusterLease {
  /** `single-core` (always the owner) or `postgres` (an advisory lock per name). */
  readonly kind: 'single-core' | 'postgres';
  /**
   * Runs `task` on whichever Core owns `name`: calls `task.start()` when this Core becomes the
   * owner and `task.stop()` when it stops being it. One registration per name per lease (a second
   * one is a programming error and throws).
   */
  run(name: string, task: LeasedTask): LeaseRegistration;
  /** Whether this Core owns `name` right now (false for a name never registered). */
  isOwner(name: string): boolean;
  /** Stops every task this Core owns and releases every name. Safe to call twice. */
  close(): Promise<void>;
}
