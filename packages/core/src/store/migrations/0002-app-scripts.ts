import type { CoreMigration } from './core-migration.js';

/** APP configuration scripts (docs/scheduling.md): the text as uploaded, parsed again when loaded. */
export const appScriptsMigration: CoreMigration = {
  name: '0002-app-scripts',
  async up(db) {
    await db.schema
      .createTable('app_scripts')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
