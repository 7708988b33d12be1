/**
 * Changes other Cores made to the shared database, as they commit. `CachedStore` forgets what they
 * touched; while the feed is not listening it may have missed some, and caches nothing.
 */
export interface ChangeFeed {
  /** True while changes are being received: every committed change will be told. */
  readonly listening: boolean;
  /**
   * `changed(table)` for every committed change to a cached table (by any Core, this one
   * included); `gap()` when the feed stops listening (changes may be missed from then on);
   * `resumed()` when it listens again.
   */
  start(listener: ChangeListener): void;
  close(): Promise<void>;
}

export interface ChangeListener {
  changed(table: string): void;
  gap(): void;
  resumed(): void;
}
