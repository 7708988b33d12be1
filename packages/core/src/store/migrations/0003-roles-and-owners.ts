import { sql } from 'kysely';

import type { CoreMigration } from './core-migration.js';

/**
 * Roles and ownership (docs/api.md, "Roles and ownership"). Every module, function and APP script
 * gets an owner: the `guest` subject when there is one (FunLess clients use it, and it could change
 * everything before), else the admin. Subjects of the one role there was become developers (what
 * they could do before). Grants let the admin open a module or script to another subject.
 *
 * The names are written out rather than imported: a shipped migration must not change when a
 * constant does.
 */
export const rolesAndOwnersMigration: CoreMigration = {
  name: '0003-roles-and-owners',
  async up(db) {
    for (const table of ['modules', 'functions', 'app_scripts']) {
      await db.schema
        .alterTable(table)
        .addColumn('owner', 'text', (c) => c.notNull().defaultTo('admin'))
        .execute();
      await sql`update ${sql.table(table)} set owner = 'guest'
        where exists (select 1 from subjects where name = 'guest')`.execute(db);
    }
    await sql`update subjects set role = 'developer' where role = 'subject'`.execute(db);
    await db.schema
      .createTable('module_grants')
      .addColumn('module', 'text', (c) =>
        c.notNull().references('modules.name').onDelete('cascade').onUpdate('cascade'),
      )
      .addColumn('subject', 'text', (c) =>
        c.notNull().references('subjects.name').onDelete('cascade').onUpdate('cascade'),
      )
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('module_grants_pk', ['module', 'subject'])
      .execute();
    await db.schema
      .createTable('app_script_grants')
      .addColumn('script', 'text', (c) =>
        c.notNull().references('app_scripts.name').onDelete('cascade').onUpdate('cascade'),
      )
      .addColumn('subject', 'text', (c) =>
        c.notNull().references('subjects.name').onDelete('cascade').onUpdate('cascade'),
      )
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('app_script_grants_pk', ['script', 'subject'])
      .execute();
  },
};
