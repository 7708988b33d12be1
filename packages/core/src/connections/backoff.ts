/** Delays between attempts at reconnecting: doubling from `firstMs` up to `maxMs`, with jitter. */
export class Backoff {
  #next: number;

  constructor(
    private readonly firstMs = 500,
    private readonly maxMs = 30_000,
  ) {
    this.#next = firstMs;
  }

  /** The delay before the next attempt; each call doubles the one after. */
  next(): number {
    const delay = this.#next;
    this.#next = Math.min(this.maxMs, this.#next * 2);
    // ±20 %: Cores that lost the same broker do not all come back at the same instant.
    return Math.round(delay * (0.8 + Math.random() * 0.4));
  }

  /** After a success: the next failure starts again from `firstMs`. */
  reset(): void {
    this.#next = this.firstMs;
  }
}
