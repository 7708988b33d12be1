import type { CoreMigration } from './core-migration.js';

/** Modules, functions (code in the database) and subjects. */
export const initialMigration: CoreMigration = {
  name: '0001-initial',
  async up(db, { dialect }) {
    await db.schema
      .createTable('modules')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('functions')
      .addColumn('module', 'text', (c) =>
        c.notNull().references('modules.name').onDelete('cascade').onUpdate('cascade'),
      )
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('code', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
      .addColumn('tag', 'text', (c) => c.notNull())
      .addColumn('capacity_mib', 'integer', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('sinks', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('functions_pk', ['module', 'name'])
      .execute();
    await db.schema
      .createTable('subjects')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
