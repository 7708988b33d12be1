import type { CoreMigration } from './core-migration.js';

/**
 * Activations started by events (docs/events.md): where the event came from (the MQTT topic, the
 * NATS subject, the cron expression) and how the result went to each sink (JSON).
 */
export const eventActivationsMigration: CoreMigration = {
  name: '0005-event-activations',
  async up(db) {
    // One column per statement: SQLite adds one at a time.
    await db.schema.alterTable('activations').addColumn('source', 'text').execute();
    await db.schema.alterTable('activations').addColumn('deliveries', 'text').execute();
  },
};
