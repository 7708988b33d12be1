// The one cache in front of the store: reads from memory, forgotten by the store's own writes and,
// on PostgreSQL, by the changes other Cores commit (LISTEN/NOTIFY), off while it may miss them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { eventually } from '@funless/testing';
import pg from 'pg';

import { CachedStore, openStore } from '../src/store/index.js';
import type { NewFunction } from '../src/store/index.js';
import { DIALECTS, createTestDatabase } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';

const METADATA = { tag: 'default', capacityMiB: 64 };

/**
 * Waits until a second read of `read` costs no load: on PostgreSQL the notification of a write
 * this store made itself arrives after the write, and forgets once more.
 */
async function fromMemory(
  store: CachedStore,
  part: 'subjects' | 'functions' | 'app_scripts',
  read: () => Promise<unknown>,
) {
  await eventually(async () => {
    await read();
    const loads = store.counters.loads[part];
    await read();
    return store.counters.loads[part] === loads;
  }, `a read of ${part} answered from memory`);
}

function newFunction(name: string, code: number[]): NewFunction {
  return { module: '_', name, code: new Uint8Array(code), metadata: METADATA, events: [], sinks: [] };
}

async function withStore(
  dialect: 'sqlite' | 'postgres',
  body: (store: CachedStore, db: TestDatabase) => Promise<void>,
) {
  const db = await createTestDatabase(dialect);
  const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
  try {
    await eventually(() => store.unavailableReason === undefined, 'the cache is usable');
    await body(store, db);
  } finally {
    await store.close();
    await db.cleanup();
  }
}

for (const dialect of DIALECTS) {
  describe(`CachedStore on ${dialect}`, () => {
    test('answers repeated reads from memory, and reads again after its own writes', () =>
      withStore(dialect, async (store) => {
        await store.createModule('_');
        await store.createSubject('ann', 'developer', 'a'.repeat(64));
        await fromMemory(store, 'subjects', () => store.listSubjects());
        await store.setSubjectTokenHash('ann', 'b'.repeat(64));
        assert.equal((await store.listSubjects()).find((s) => s.name === 'ann')?.tokenHash, 'b'.repeat(64));
        await store.deleteSubject('ann');
        assert.equal(
          (await store.listSubjects()).find((s) => s.name === 'ann'),
          undefined,
        );

        assert.equal(await store.getFunction('_', 'f'), undefined);
        const created = await store.createFunction(newFunction('f', [1]));
        assert.equal(
          (await store.getFunction('_', 'f'))?.hash,
          created.hash,
          'a miss is not kept past a create',
        );
        await fromMemory(store, 'functions', () => store.getFunction('_', 'f'));
        const updated = await store.updateFunction('_', 'f', { code: new Uint8Array([2]) });
        assert.notEqual(updated.hash, created.hash);
        assert.equal((await store.getFunction('_', 'f'))?.hash, updated.hash);
        await store.renameModule('_', 'm');
        assert.equal(await store.getFunction('_', 'f'), undefined, 'a rename of the module is seen');
        assert.equal((await store.getFunction('m', 'f'))?.hash, updated.hash);

        await store.createAppScript('s', '- t:\n    - workers: [a]\n');
        await fromMemory(store, 'app_scripts', () => store.getAppScript('s'));
        const script = await store.getAppScript('s');
        assert.equal(await store.getAppScript('s'), script, 'the same record from memory');
        await store.updateAppScript('s', { name: 'r' });
        assert.equal(await store.getAppScript('s'), undefined);
        assert.equal((await store.getAppScript('r'))?.text, script?.text);
      }));

    test('a write that fails still forgets (it may have committed), and a failed read is not kept', () =>
      withStore(dialect, async (store) => {
        const before = store.counters.invalidations;
        await assert.rejects(store.updateFunction('_', 'missing', { code: new Uint8Array([1]) }), {
          code: 'not_found',
        });
        assert.equal(store.counters.invalidations, before + 1);
      }));

    test('a load a change overtook is not kept', async () => {
      const db = await createTestDatabase(dialect);
      const opened = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      // The inner store's read waits at the gate: the write lands while it is in flight.
      const slow = new Proxy(opened, {
        get(target, key) {
          if (key === 'listSubjects') {
            return async () => {
              const rows = await target.listSubjects();
              await gate;
              return rows;
            };
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      const store = new CachedStore(slow);
      try {
        const reading = store.listSubjects();
        await store.createSubject('late', 'developer', 'c'.repeat(64));
        release();
        assert.equal(
          (await reading).some((s) => s.name === 'late'),
          false,
          'the read began before',
        );
        assert.equal(
          (await store.listSubjects()).some((s) => s.name === 'late'),
          true,
          'the next read is fresh',
        );
      } finally {
        await opened.close();
        await db.cleanup();
      }
    });

    test('an entry older than maxAgeMs is read again (the safety net under the change feed)', async () => {
      const db = await createTestDatabase(dialect);
      const inner = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
      let clock = 0;
      const store = new CachedStore(inner, { maxAgeMs: 1_000, now: () => clock });
      try {
        await store.listSubjects();
        clock = 999;
        await store.listSubjects();
        assert.equal(store.counters.loads.subjects, 1);
        clock = 1_000;
        await store.listSubjects();
        assert.equal(store.counters.loads.subjects, 2);
      } finally {
        await inner.close();
        await db.cleanup();
      }
    });
  });
}

describe(
  'CachedStore across Cores on PostgreSQL',
  { skip: process.env.FL_TEST_PG_URL ? false : 'no PostgreSQL server' },
  () => {
    /** Two Cores' stores on one fresh schema; `b` names its connections so a test can cut them. */
    async function twoStores(body: (a: CachedStore, b: CachedStore, appName: string) => Promise<void>) {
      const db = await createTestDatabase('postgres');
      const appName = `fl-cache-test-${Math.random().toString(36).slice(2, 10)}`;
      const urlB = new URL(db.databaseUrl!);
      urlB.searchParams.set('application_name', appName);
      const a = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
      const b = await openStore({ dataDir: db.dataDir, databaseUrl: urlB.toString() });
      try {
        await eventually(
          () => a.unavailableReason === undefined && b.unavailableReason === undefined,
          'both caches listen',
        );
        await body(a, b, appName);
      } finally {
        await Promise.all([a.close(), b.close()]);
        await db.cleanup();
      }
    }

    test("a change committed through one Core is forgotten by the other's cache", () =>
      twoStores(async (a, b) => {
        await a.createModule('_');
        await a.createFunction(newFunction('f', [1]));
        const old = await b.getFunction('_', 'f');
        assert.ok(old);
        await fromMemory(b, 'functions', () => b.getFunction('_', 'f'));
        const updated = await a.updateFunction('_', 'f', { code: new Uint8Array([9]) });
        await eventually(
          async () => (await b.getFunction('_', 'f'))?.hash === updated.hash,
          'b sees the update',
        );

        await a.createSubject('bob', 'developer', 'd'.repeat(64));
        assert.ok((await b.listSubjects()).some((s) => s.name === 'bob'));
        await a.deleteSubject('bob');
        await eventually(
          async () => !(await b.listSubjects()).some((s) => s.name === 'bob'),
          'b forgets bob',
        );

        await a.createAppScript('s', '- t:\n    - workers: [a]\n');
        assert.ok(await b.getAppScript('s'));
        await a.updateAppScript('s', { text: '- t:\n    - workers: [b]\n' });
        await eventually(
          async () => (await b.getAppScript('s'))?.text.includes('[b]'),
          'b reads the new text',
        );
      }));

    test('a change that rolls back is not announced: the other Core keeps its cache', () =>
      twoStores(async (a, b) => {
        await a.createModule('_');
        await a.createFunction(newFunction('f', [1]));
        await fromMemory(b, 'functions', () => b.getFunction('_', 'f'));
        // b remembers that there is no script "marker": only a notification makes it read again.
        await fromMemory(b, 'app_scripts', () => b.getAppScript('marker'));
        // Notifications, not invalidations: a slow heartbeat on a loaded machine may also forget.
        const heard = b.counters.notifications;
        // A conflict: the insert fails inside its transaction, which rolls back with its NOTIFY.
        await assert.rejects(a.createFunction(newFunction('f', [2])), { code: 'conflict' });
        // A committed change after it, as a marker: once b saw the marker, it saw everything before.
        await a.createAppScript('marker', '- t:\n    - workers: [a]\n');
        await eventually(async () => (await b.getAppScript('marker')) !== undefined, 'b sees the marker');
        assert.equal(b.counters.notifications - heard, 1, 'only the committed change reached b');
      }));

    test('a Core whose listening connection is cut caches nothing until it listens again, then sees what it missed', () =>
      twoStores(async (a, b, appName) => {
        await a.createModule('_');
        await a.createFunction(newFunction('f', [1]));
        await b.getFunction('_', 'f');
        const admin = new pg.Client({ connectionString: process.env.FL_TEST_PG_URL });
        await admin.connect();
        try {
          const gaps = b.counters.gaps;
          await admin.query(
            'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
            [appName],
          );
          await eventually(() => b.counters.gaps > gaps, 'b noticed the lost connection');
          const updated = await a.updateFunction('_', 'f', { code: new Uint8Array([7]) });
          await eventually(async () => {
            try {
              return (await b.getFunction('_', 'f'))?.hash === updated.hash;
            } catch {
              return false; // its pool reconnects on the next query
            }
          }, 'b reads the update');
          await eventually(() => b.unavailableReason === undefined, 'b listens again');
        } finally {
          await admin.end();
        }
      }));
  },
);
