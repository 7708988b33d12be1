import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';

import { makePrivateDirSync, PRIVATE_FILE_MODE } from '@funless/protocol';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { pino } from 'pino';
import type { Logger } from 'pino';

import { CachedStore } from './cached-store.js';
import type { CachedStoreOptions } from './cached-store.js';
import { DataDirLock } from './data-dir-lock.js';
import { KyselyStore } from './kysely-store.js';
import { PostgresChangeFeed } from './postgres-change-feed.js';
import type { Database } from './schema.js';

/** Where the store lives. */
export interface StoreOptions {
  /** Directory of the SQLite file (`funless.db`); created if missing, made owner-only (0700). */
  dataDir: string;
  /** `postgres://…`: use PostgreSQL instead of SQLite. */
  databaseUrl?: string | undefined;
  /** Most PostgreSQL connections kept open. @default 10 */
  poolSize?: number;
  /**
   * How long opening a PostgreSQL connection may take before the query waiting for it fails as
   * `unavailable`, in ms: a server that accepts connections but never answers must not hold
   * requests (or the Core's start) forever. @default 10_000
   */
  connectTimeoutMs?: number;
  /** Where the change feed logs a lost connection. @default silent */
  logger?: Logger;
  /** The cache in front of the database, beyond its change feed. */
  cache?: Omit<CachedStoreOptions, 'changes'>;
}

/** Default of `StoreOptions.connectTimeoutMs`. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The SQLite file name inside the data directory. */
export const SQLITE_FILE = 'funless.db';

/**
 * Makes the SQLite file owner-only before SQLite opens it (SQLite gives its -wal and -shm files the
 * database file's mode), tightening the files an earlier start left.
 */
function makePrivateSqliteFiles(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(path)) chmodSync(path, PRIVATE_FILE_MODE);
  }
}

/**
 * Opens the database named by `options`, brings its schema up to date and puts the cache in front
 * of it: on PostgreSQL it listens to the changes of the other Cores sharing the database
 * (docs/architecture.md, "Several Cores"). Only the driver in use is loaded (each costs several MiB
 * of resident memory, which counts on a small machine).
 */
export async function openStore(options: StoreOptions): Promise<CachedStore> {
  if (options.databaseUrl) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    });
    // A client losing its server must not crash the process: pg emits the loss as an 'error'
    // event, which has no listener while the client is checked out (the pool listens only while it
    // is idle). The query running on it rejects, and the next one reports the database as gone.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const store = await KyselyStore.open(
      new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
      'postgres',
    );
    const changes = new PostgresChangeFeed(
      { databaseUrl: options.databaseUrl },
      options.logger ?? pino({ level: 'silent' }),
    );
    return new CachedStore(store, { ...options.cache, changes });
  }
  makePrivateDirSync(options.dataDir);
  // Before anything touches the database: a second Core on this directory is refused here.
  const lock = await DataDirLock.acquire(options.dataDir);
  try {
    const file = join(options.dataDir, SQLITE_FILE);
    makePrivateSqliteFiles(file);
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const connect = () => {
      const sqlite = new BetterSqlite3(file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 5000');
      return sqlite;
    };
    const sqlite = connect();
    // Activation records have a connection of their own that commits without waiting for the disk
    // (synchronous=NORMAL: in WAL mode a commit survives the Core's process dying, and may be lost
    // only with the machine's power). better-sqlite3 runs on the event loop, and a commit that waits
    // for the disk held it for 2 ms at the median and up to 200 ms here (docs/activations.md).
    const records = connect();
    records.pragma('synchronous = NORMAL');
    const store = await KyselyStore.open(
      new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) }),
      'sqlite',
      { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: records }) }), sqlite: records },
    );
    return new CachedStore(store, { ...options.cache, onClose: () => lock.release() });
  } catch (error) {
    lock.release();
    throw error;
  }
}
