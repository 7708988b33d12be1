// SQLite serves one Core per data directory: a second Core process on the same directory is
// refused with a message saying what to do, and a Core killed without cleaning up frees it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { coreProcess, spawnRunCore } from './support/core-process.js';
import { createTestDatabase } from './support/databases.js';

/** Runs a Core process expected to fail at start; resolves with its exit code and output. */
async function refusedStart(env: Record<string, string>) {
  const child = spawnRunCore({ FL_PORT: '0', FL_LOG_LEVEL: 'warn', ...env });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, out };
}

describe('one Core per SQLite data directory', () => {
  test('a second Core on the same directory is refused with a clear message; the first keeps serving', async () => {
    const db = await createTestDatabase('sqlite');
    const first = await coreProcess({ FL_DATA_DIR: db.dataDir });
    try {
      const second = await refusedStart({ FL_DATA_DIR: db.dataDir });
      assert.notEqual(second.code, 0);
      assert.match(
        second.out,
        /the data directory .* is in use by another FunLess Core: SQLite serves one Core per data directory.*DATABASE_URL/,
      );
      assert.doesNotMatch(second.out, /listening on/);
      assert.equal((await fetch(`${first.url}/v1/`)).status, 200);
      assert.equal(await first.stop(), 0);
      // Stopped cleanly: the directory is free again.
      const third = await coreProcess({ FL_DATA_DIR: db.dataDir });
      assert.equal(await third.stop(), 0);
    } finally {
      await first.stop('SIGKILL');
      await db.cleanup();
    }
  });

  test('a Core killed with SIGKILL leaves the directory free for the next one', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const first = await coreProcess({ FL_DATA_DIR: db.dataDir });
      await first.stop('SIGKILL');
      const next = await coreProcess({ FL_DATA_DIR: db.dataDir });
      assert.equal((await fetch(`${next.url}/v1/`)).status, 200);
      assert.equal(await next.stop(), 0);
    } finally {
      await db.cleanup();
    }
  });
});
