// The once-per-cluster owner: always this Core on SQLite; on PostgreSQL one advisory lock per
// name, which moves to another Core when its owner goes away or loses its session.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { eventually } from '@funless/testing';
import pg from 'pg';
import { pino } from 'pino';

import { PostgresLease, SingleCoreLease } from '../../src/index.js';
import type { ClusterLease } from '../../src/index.js';
import { createTestDatabase } from '../support/databases.js';

const silent = pino({ level: 'silent' });

/** A task that counts its starts and stops. */
function countingTask() {
  const counts = { starts: 0, stops: 0 };
  return {
    counts,
    task: {
      start: () => void counts.starts++,
      stop: () => void counts.stops++,
    },
  };
}

describe('SingleCoreLease', () => {
  test('owns every name at once, and stops the task when closed', async () => {
    const lease = new SingleCoreLease(silent);
    const { counts, task } = countingTask();
    const registration = lease.run('pruning', task);
    assert.equal(lease.isOwner('pruning'), true);
    assert.equal(registration.owned, true);
    assert.equal(lease.isOwner('other'), false);
    await eventually(() => counts.starts === 1, 'the task started');
    await lease.close();
    assert.deepEqual(counts, { starts: 1, stops: 1 });
    assert.equal(lease.isOwner('pruning'), false);
  });

  test('refuses a second registration of one name', () => {
    const lease = new SingleCoreLease(silent);
    lease.run('pruning', countingTask().task);
    assert.throws(() => lease.run('pruning', countingTask().task), /already registered/);
  });
});

describe('PostgresLease', { skip: process.env.FL_TEST_PG_URL ? false : 'no PostgreSQL server' }, () => {
  /** Two Cores' leases on one fresh schema, each running a counting task under `name`. */
  async function twoLeases(name: string) {
    const db = await createTestDatabase('postgres');
    const url = db.databaseUrl!;
    const leases: ClusterLease[] = [
      new PostgresLease({ databaseUrl: url, retryMs: 50 }, silent),
      new PostgresLease({ databaseUrl: url, retryMs: 50 }, silent),
    ];
    const tasks = leases.map((lease) => {
      const t = countingTask();
      lease.run(name, t.task);
      return t.counts;
    });
    const owner = async () => {
      const index = await eventually(() => {
        const owners = leases.filter((l) => l.isOwner(name));
        return owners.length === 1 ? leases.indexOf(owners[0]!) + 1 : 0;
      }, `one owner of ${name}`);
      return index - 1;
    };
    const schema = new URL(url).searchParams.get('options')!.replace('-c search_path=', '');
    return {
      leases,
      tasks,
      owner,
      schema,
      async cleanup() {
        await Promise.all(leases.map((l) => l.close()));
        await db.cleanup();
      },
    };
  }

  test('one of two Cores owns a name; when it closes, the other takes it', async () => {
    const t = await twoLeases('retention');
    try {
      const first = await t.owner();
      const second = 1 - first;
      assert.equal(t.tasks[first]!.starts, 1);
      assert.equal(t.tasks[second]!.starts, 0);
      await t.leases[first]!.close();
      assert.equal(t.tasks[first]!.stops, 1);
      await eventually(() => t.leases[second]!.isOwner('retention'), 'the other Core took the name');
      await eventually(() => t.tasks[second]!.starts === 1, 'its task started');
    } finally {
      await t.cleanup();
    }
  });

  test("the owner's session killed by the server: it stops its task, and one Core owns the name again", async () => {
    const t = await twoLeases('retention');
    const admin = new pg.Client({ connectionString: process.env.FL_TEST_PG_URL });
    await admin.connect();
    try {
      const first = await t.owner();
      // The backend holding this schema's lock on the name.
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_locks
          where locktype = 'advisory' and classid = hashtext($1)::oid and objid = hashtext($2)::oid`,
        [t.schema, 'retention'],
      );
      assert.equal(rowCount, 1);
      await eventually(() => t.tasks[first]!.stops === 1, 'the old owner stopped its task');
      // Either Core may win the free lock (the old owner after reconnecting); never both.
      const next = await t.owner();
      const counts = t.tasks[next]!;
      await eventually(() => counts.starts === counts.stops + 1, 'the new owner runs its task');
      assert.equal(t.tasks[1 - next]!.starts, t.tasks[1 - next]!.stops, 'the other runs nothing');
    } finally {
      await admin.end();
      await t.cleanup();
    }
  });

  test('a registration closed gives its name up to the other Core', async () => {
    const db = await createTestDatabase('postgres');
    const a = new PostgresLease({ databaseUrl: db.databaseUrl!, retryMs: 50 }, silent);
    const b = new PostgresLease({ databaseUrl: db.databaseUrl!, retryMs: 50 }, silent);
    try {
      const registration = a.run('triggers', countingTask().task);
      await eventually(() => registration.owned, 'the first Core owns the name');
      b.run('triggers', countingTask().task);
      await registration.close();
      assert.equal(a.isOwner('triggers'), false);
      await eventually(() => b.isOwner('triggers'), 'the other Core took the name');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await db.cleanup();
    }
  });
});
