import type { Logger } from 'pino';

import type { ClusterLease, LeaseRegistration, LeasedTask } from './cluster-lease.js';
import { LeaseBook } from './lease-book.js';

/**
 * The lease of a Core that is alone on its database (SQLite allows one Core per data directory):
 * it owns every name from the moment it is registered.
 */
export class SingleCoreLease implements ClusterLease {
  readonly kind = 'single-core' as const;
  readonly #book: LeaseBook;

  constructor(logger: Logger) {
    this.#book = new LeaseBook(logger);
  }

  run(name: string, task: LeasedTask): LeaseRegistration {
    const registration = this.#book.add(name, task);
    this.#book.acquired(name);
    return registration;
  }

  isOwner(name: string): boolean {
    return this.#book.owns(name);
  }

  async close(): Promise<void> {
    await this.#book.closeAll();
  }
}
