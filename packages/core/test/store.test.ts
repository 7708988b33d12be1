import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { codeHash, ErrorCode } from '@funless/protocol';
import { sql } from 'kysely';

import { MIGRATIONS, openStore } from '../src/store/index.js';
import type { Store } from '../src/store/index.js';
import { DIALECTS, createTestDatabase, rawDb } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const METADATA = { tag: 'default', capacityMiB: 64 };

async function withStore(
  dialect: 'sqlite' | 'postgres',
  body: (store: Store, db: TestDatabase) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabase(dialect);
  const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
  try {
    await body(store, db);
  } finally {
    await store.close();
    await db.cleanup();
  }
}

function isConflict(result: PromiseSettledResult<unknown>): boolean {
  return result.status === 'rejected' && (result.reason as { code?: string }).code === ErrorCode.Conflict;
}

for (const dialect of DIALECTS) {
  describe(`store (${dialect})`, () => {
    test('concurrent creates of one module: one wins, the others are conflicts', () =>
      withStore(dialect, async (store) => {
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.createModule('race')));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        assert.ok(results.filter((r) => r.status === 'rejected').every(isConflict));
      }));

    test('concurrent creates of one function: one wins, the others are conflicts', () =>
      withStore(dialect, async (store) => {
        await store.createModule('m');
        const fn = {
          module: 'm',
          name: 'f',
          code: Uint8Array.of(1, 2, 3),
          metadata: METADATA,
          events: [],
          sinks: [],
        };
        const results = await Promise.allSettled(Array.from({ length: 5 }, () => store.createFunction(fn)));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
        assert.ok(results.filter((r) => r.status === 'rejected').every(isConflict));
      }));

    /**
     * Exactly one of `n` concurrent runs of `op` succeeds; the others fail with one of `codes` (a
     * rename that lost may find its source gone, 404, or its target taken by the winner, 409).
     */
    async function oneWins(n: number, op: () => Promise<unknown>, ...codes: string[]): Promise<void> {
      const results = await Promise.allSettled(Array.from({ length: n }, op));
      const outcomes = results.map((r) =>
        r.status === 'fulfilled' ? 'ok' : String((r.reason as { code?: string }).code),
      );
      assert.equal(outcomes.filter((c) => c === 'ok').length, 1, outcomes.join(' '));
      assert.ok(
        outcomes.every((c) => c === 'ok' || codes.includes(c)),
        outcomes.join(' '),
      );
    }

    test('concurrent renames, updates and deletes of one thing: exactly one succeeds', () =>
      withStore(dialect, async (store) => {
        const fn = (name: string) => ({
          module: 'm',
          name,
          code: Uint8Array.of(1, 2, 3),
          metadata: METADATA,
          events: [],
          sinks: [],
        });
        await store.createModule('race1');
        await oneWins(8, () => store.renameModule('race1', 'race2'), ErrorCode.NotFound, ErrorCode.Conflict);
        await oneWins(8, () => store.deleteModule('race2'), ErrorCode.NotFound);
        await store.createModule('m');
        await store.createFunction(fn('f'));
        await oneWins(
          8,
          () => store.updateFunction('m', 'f', { name: 'g' }),
          ErrorCode.NotFound,
          ErrorCode.Conflict,
        );
        await oneWins(8, () => store.deleteFunction('m', 'g'), ErrorCode.NotFound);
        await store.createAppScript('s', '- default:\n  - workers: "*"\n');
        await oneWins(
          8,
          () => store.updateAppScript('s', { name: 't' }),
          ErrorCode.NotFound,
          ErrorCode.Conflict,
        );
        assert.deepEqual(
          (await store.listAppScripts()).map((a) => a.name),
          ['t'],
        );
      }));

    test('code round-trips byte for byte with its hash and size', () =>
      withStore(dialect, async (store) => {
        await store.createModule('m');
        const code = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256);
        const created = await store.createFunction({
          module: 'm',
          name: 'f',
          code,
          metadata: METADATA,
          events: [],
          sinks: [],
        });
        assert.equal(created.hash, codeHash(code));
        assert.equal(created.size, 70_000);
        const read = await store.getFunctionWithCode('m', 'f');
        assert.ok(read?.code instanceof Uint8Array);
        assert.deepEqual(Buffer.from(read.code), Buffer.from(code));
        assert.equal(await store.getFunctionWithCode('m', 'g'), undefined);
        // What Workers are told exists when they join.
        assert.deepEqual(await store.listFunctionRefs(), [{ module: 'm', name: 'f', hash: codeHash(code) }]);
      }));

    test('renaming a module carries its functions; deleting returns them', () =>
      withStore(dialect, async (store) => {
        await store.createModule('a');
        await store.createFunction({
          module: 'a',
          name: 'f',
          code: Uint8Array.of(1),
          metadata: METADATA,
          events: [],
          sinks: [],
        });
        await store.renameModule('a', 'b');
        assert.equal((await store.getFunction('b', 'f'))?.module, 'b');
        assert.equal(await store.getFunction('a', 'f'), undefined);
        const deleted = await store.deleteModule('b');
        assert.deepEqual(
          deleted.map((f) => [f.module, f.name]),
          [['b', 'f']],
        );
        await assert.rejects(store.deleteModule('b'), { code: ErrorCode.NotFound });
      }));

    test('reopening applies no migration twice and records each by name', async () => {
      const db = await createTestDatabase(dialect);
      try {
        // One at a time: on SQLite the data directory serves one open store.
        const first = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
        await first.createModule('kept');
        await first.close();
        const again = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
        try {
          assert.deepEqual(
            (await again.listModules()).map((m) => m.name),
            ['kept'],
          );
        } finally {
          await again.close();
        }
        const raw = rawDb(db);
        try {
          const rows = await sql<{ name: string }>`select name from fl_migrations order by name`.execute(raw);
          assert.deepEqual(
            rows.rows.map((r) => r.name),
            MIGRATIONS.map((m) => m.name),
          );
        } finally {
          await raw.destroy();
        }
      } finally {
        await db.cleanup();
      }
    });

    test('a database migrated by a newer Core is refused with a clear message', async () => {
      const db = await createTestDatabase(dialect);
      try {
        await (await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl })).close();
        const raw = rawDb(db);
        try {
          await sql`insert into fl_migrations (name, applied_at) values ('9999-from-the-future', 'now')`.execute(
            raw,
          );
        } finally {
          await raw.destroy();
        }
        await assert.rejects(
          openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl }),
          /9999-from-the-future.*newer version/,
        );
      } finally {
        await db.cleanup();
      }
    });
  });
}
