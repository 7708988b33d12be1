import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';

import { KyselyStore } from './kysely-store.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** Where the store lives. */
export interface StoreOptions {
  /** Directory of the SQLite file (`funless.db`); created if missing. */
  dataDir: string;
  /** `postgres://…`: use PostgreSQL instead of SQLite. */
  databaseUrl?: string | undefined;
  /** Most PostgreSQL connections kept open. @default 10 */
  poolSize?: number;
}

/** The SQLite file name inside the data directory. */
export const SQLITE_FILE = 'funless.db';

/**
 * Opens the database named by `options` and brings its schema up to date. Only the driver in use is
 * loaded (each costs several MiB of resident memory, which counts on a small machine).
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    return KyselyStore.open(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), 'postgres');
  }
  mkdirSync(options.dataDir, { recursive: true });
  const { default: BetterSqlite3 } = await import('better-sqlite3');
  const sqlite = new BetterSqlite3(join(options.dataDir, SQLITE_FILE));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return KyselyStore.open(
    new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }),
    'sqlite',
  );
}
