import { ErrorCode, FlError } from '@funless/protocol';
import { sql } from 'kysely';
import type { Kysely } from 'kysely';

import type { CoreMigration, MigrationContext } from './core-migration.js';

/** The table recording applied migrations, in the connection's own schema. */
export const MIGRATIONS_TABLE = 'fl_migrations';
// Any fixed number: Cores sharing a PostgreSQL database take turns migrating it.
const PG_MIGRATION_LOCK = 0x464c_0001;

interface MigrationsTable {
  fl_migrations: { name: string; applied_at: string };
}

/**
 * Applies the migrations of `list` not yet recorded, in order, in one transaction (both databases
 * have transactional DDL, so a failure leaves the schema as it was). Resolves to the names applied.
 * Refuses a database that records a migration this Core does not know (made by a newer version).
 */
export async function migrate(
  db: Kysely<unknown>,
  list: readonly CoreMigration[],
  context: MigrationContext,
): Promise<string[]> {
  return db.transaction().execute(async (tx) => {
    if (context.dialect === 'postgres')
      await sql`select pg_advisory_xact_lock(${PG_MIGRATION_LOCK})`.execute(tx);
    await tx.schema
      .createTable(MIGRATIONS_TABLE)
      .ifNotExists()
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'text', (c) => c.notNull())
      .execute();
    const typed = tx as unknown as Kysely<MigrationsTable>;
    const rows = await typed.selectFrom('fl_migrations').select('name').execute();
    const applied = new Set(rows.map((r) => r.name));
    const known = new Set(list.map((m) => m.name));
    const unknown = [...applied].filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new FlError(
        ErrorCode.Internal,
        `the database has migrations this Core does not know (${unknown.join(', ')}): it was used by a newer version`,
      );
    }
    const done: string[] = [];
    for (const migration of list) {
      if (applied.has(migration.name)) continue;
      try {
        await migration.up(tx, context);
      } catch (error) {
        throw new FlError(
          ErrorCode.Internal,
          `database migration ${migration.name} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`,
          { cause: error },
        );
      }
      await typed
        .insertInto('fl_migrations')
        .values({ name: migration.name, applied_at: new Date().toISOString() })
        .execute();
      done.push(migration.name);
    }
    return done;
  });
}
