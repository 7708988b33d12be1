import { Backoff } from '../connections/index.js';
import type { ConnectionState } from '../connections/index.js';

/**
 * Runs a sink's setup (creating its database or table) until it succeeds, with backoff between
 * attempts, reporting each in `state`. `ready` resolves when it succeeded.
 */
export class SetupLoop {
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #backoff = new Backoff();
  #done = false;

  constructor(
    private readonly state: ConnectionState,
    private readonly setup: () => Promise<void>,
  ) {}

  get done(): boolean {
    return this.#done;
  }

  start(): void {
    void this.#attempt();
  }

  async #attempt(): Promise<void> {
    try {
      await this.setup();
      if (this.#closed) return;
      this.#done = true;
      this.state.connected();
    } catch (error) {
      if (this.#closed) return;
      const delay = this.#backoff.next();
      this.state.retrying((error as Error).message, delay);
      this.#timer = setTimeout(() => void this.#attempt(), delay);
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
