import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError, PRIVATE_FILE_MODE } from '@funless/protocol';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';

/** The lock file inside the data directory, held by the Core that uses it. */
export const LOCK_FILE = 'funless.lock';

/**
 * One Core per SQLite data directory: an exclusive SQLite transaction on a file of its own, held
 * for as long as the store is open. The operating system drops the lock when the process dies
 * however it dies, so a crash never leaves the directory locked.
 */
export class DataDirLock {
  readonly file: string;
  readonly #db: BetterSqlite3Database;

  private constructor(file: string, db: BetterSqlite3Database) {
    this.file = file;
    this.#db = db;
  }

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const file = join(dataDir, LOCK_FILE);
    closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
    const { default: BetterSqlite3 } = await import('better-sqlite3');
    const db = new BetterSqlite3(file, { timeout: 0 });
    try {
      db.exec('begin exclusive');
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new ConfigError(
          `the data directory ${dataDir} is in use by another FunLess Core: SQLite serves one Core ` +
            'per data directory. Stop the other Core, give this one another FL_DATA_DIR, or run ' +
            'several Cores on one PostgreSQL database (DATABASE_URL; docs/architecture.md, "Several Cores")',
        );
      }
      throw error;
    }
    return new DataDirLock(file, db);
  }

  release(): void {
    if (this.#db.open) this.#db.close();
  }
}
