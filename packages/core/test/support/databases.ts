import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';

import { SQLITE_FILE } from '../../src/store/index.js';

/** The databases every suite runs against: SQLite always, PostgreSQL when the runner found one. */
export const DIALECTS: readonly ('sqlite' | 'postgres')[] = process.env.FL_TEST_PG_URL
  ? ['sqlite', 'postgres']
  : ['sqlite'];

// Without a server the PostgreSQL pass of each file that runs against every database is one
// skipped test, with its reason, so the runner counts it (and fails it under CI).
if (!process.env.FL_TEST_PG_URL) {
  test(
    'the PostgreSQL pass of this file',
    {
      skip: 'no PostgreSQL server: scripts/run-tests.mjs sets FL_TEST_PG_URL when one answers at DATABASE_URL',
    },
    () => {},
  );
}

/** A private place to store data: a temp data directory, plus a fresh PostgreSQL schema. */
export interface TestDatabase {
  dataDir: string;
  databaseUrl: string | undefined;
  /** Drops the schema and removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * A fresh database for one test. On PostgreSQL every connection of the store lands in a new
 * schema through `search_path`, so tests running in parallel never see each other's rows.
 */
export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fl-core-test-'));
  if (dialect === 'sqlite') {
    return { dataDir, databaseUrl: undefined, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const baseUrl = process.env.FL_TEST_PG_URL;
  if (!baseUrl) throw new Error('FL_TEST_PG_URL is not set');
  const schema = `fl_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    dataDir,
    databaseUrl: url.toString(),
    async cleanup() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
      } finally {
        await client.end();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A raw connection to a test database, to look under the store (or to build an old schema). */
export function rawDb(db: TestDatabase): Kysely<unknown> {
  return db.databaseUrl !== undefined
    ? new Kysely({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.databaseUrl, max: 1 }) }),
      })
    : new Kysely({
        dialect: new SqliteDialect({ database: new BetterSqlite3(join(db.dataDir, SQLITE_FILE)) }),
      });
}
