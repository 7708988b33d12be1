import type { ClusterLease, LeaseRegistration } from '../lease/index.js';
import type { ScheduleOwner } from './event-source.js';

/** The once-per-cluster name under which one Core runs every schedule. */
export const SCHEDULES_LEASE = 'event-schedules';

/**
 * Schedules run on the Core that owns `SCHEDULES_LEASE` (an advisory lock on PostgreSQL; the one
 * Core on SQLite). Every Core keeps its schedules ticking and asks at each run: a Core that takes
 * the lease over runs the next due time, and a run missed in between is not made up.
 */
export class LeaseScheduleOwner implements ScheduleOwner {
  #registration: LeaseRegistration | undefined;

  constructor(private readonly lease: ClusterLease) {}

  owns(): Promise<boolean> {
    // Registered at the first question: a Core without schedules never takes the lock.
    this.#registration ??= this.lease.run(SCHEDULES_LEASE, { start() {}, stop() {} });
    return Promise.resolve(this.#registration.owned);
  }

  async close(): Promise<void> {
    await this.#registration?.close();
  }
}
