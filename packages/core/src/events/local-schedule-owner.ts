import type { ScheduleOwner } from './event-source.js';

/** A Core alone on its database: it owns every schedule. */
export class LocalScheduleOwner implements ScheduleOwner {
  owns(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
