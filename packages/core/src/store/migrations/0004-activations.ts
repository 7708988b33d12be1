import type { CoreMigration } from './core-migration.js';

/**
 * Activation records (docs/activations.md). The primary key orders by time; the indexes serve the
 * list's filters by module (and function), by function name and by status, newest first, and count
 * each of them from the index alone.
 */
export const activationsMigration: CoreMigration = {
  name: '0004-activations',
  async up(db, { dialect }) {
    await db.schema
      .createTable('activations')
      .addColumn('activation_id', 'text', (c) => c.primaryKey())
      .addColumn('module', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('hash', 'text')
      .addColumn('worker', 'text')
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('duration_ms', dialect === 'postgres' ? 'double precision' : 'real')
      .addColumn('total_ms', dialect === 'postgres' ? 'double precision' : 'real')
      .addColumn('error', 'text')
      .addColumn('result', 'text')
      .addColumn('result_truncated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('logs', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('logs_truncated', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('input', dialect === 'postgres' ? 'bytea' : 'blob')
      .addColumn('scheduling', 'text')
      .addColumn('chain_depth', 'integer')
      .addColumn('runner', 'text')
      .addColumn('deadline', 'text')
      .execute();
    await db.schema
      .createIndex('activations_by_function')
      .on('activations')
      .columns(['module', 'name', 'activation_id'])
      .execute();
    await db.schema
      .createIndex('activations_by_name')
      .on('activations')
      .columns(['name', 'activation_id'])
      .execute();
    await db.schema
      .createIndex('activations_by_status')
      .on('activations')
      .columns(['status', 'activation_id'])
      .execute();
  },
};
