/**
 * Remembers the nonces of recent announcements so that a captured announcement sent again inside
 * the freshness window is refused. Bounded in time (`keepMs`) and in size (`maxEntries`).
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly keepMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** True the first time `nonce` is offered (within `keepMs`), false for a repeat. */
  firstSeen(nonce: string, nowMs: number): boolean {
    this.#prune(nowMs);
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, nowMs + this.keepMs);
    if (this.#seen.size > this.maxEntries) {
      const oldest = this.#seen.keys().next();
      if (oldest.done !== true) this.#seen.delete(oldest.value);
    }
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #prune(nowMs: number): void {
    // Insertion order is expiry order (keepMs is fixed and the clock mostly moves forward).
    for (const [nonce, expires] of this.#seen) {
      if (expires > nowMs) break;
      this.#seen.delete(nonce);
    }
  }
}
