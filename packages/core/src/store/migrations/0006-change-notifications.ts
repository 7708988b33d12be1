import { sql } from 'kysely';

import type { CoreMigration } from './core-migration.js';

/** The PostgreSQL channel on which every change to what Cores cache is announced. */
export const CHANGES_CHANNEL = 'funless_changes';

/** The tables whose rows Cores cache (docs/architecture.md, "Several Cores"). */
export const NOTIFYING_TABLES = [
  'modules',
  'functions',
  'subjects',
  'app_scripts',
  'module_grants',
  'app_script_grants',
] as const;

/**
 * On PostgreSQL every statement that changes a cached table sends `NOTIFY funless_changes,
 * '<schema> <table>'` from a trigger, so inside the transaction of the change: it reaches the
 * other Cores when, and only if, the change commits, whichever code path made it. SQLite has one
 * Core per data directory and nothing to tell.
 */
export const changeNotificationsMigration: CoreMigration = {
  name: '0006-change-notifications',
  async up(db, { dialect }) {
    if (dialect !== 'postgres') return;
    await sql`
      create function fl_notify_change() returns trigger language plpgsql as $$
      begin
        perform pg_notify(${sql.lit(CHANGES_CHANNEL)}, tg_table_schema || ' ' || tg_table_name);
        return null;
      end $$`.execute(db);
    for (const table of NOTIFYING_TABLES) {
      await sql`
        create trigger fl_notify_change after insert or update or delete or truncate
        on ${sql.table(table)} for each statement execute function fl_notify_change()`.execute(db);
    }
  },
};
