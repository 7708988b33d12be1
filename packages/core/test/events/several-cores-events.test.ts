import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { eventually } from '@funless/testing';
import mqtt from 'mqtt';

import { TOKENS_FILE } from '../../src/auth/index.js';
import { SHARED_MQTT } from '../support/brokers.js';
import { DIALECTS } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { uniqueName } from '../support/test-core.js';
import { createWithConnections, eventCore, invocationsOf } from './event-core.js';
import type { EventCore } from './event-core.js';

/** A second Core on the same PostgreSQL schema, with a data directory (and Core id) of its own. */
async function sameDatabase(db: TestDatabase): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fl-core-test-'));
  // The first start wrote the tokens; a later Core finds them made and writes none.
  await copyFile(join(db.dataDir, TOKENS_FILE), join(dataDir, TOKENS_FILE));
  return {
    dataDir,
    databaseUrl: db.databaseUrl,
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
}

/**
 * Two Cores on one database; `connections` are created through the first before the second starts
 * (a Core's start sets the admin token: the first's is not valid after it).
 */
async function twoCores(
  connections: { events: unknown[] },
  body: (first: EventCore, second: EventCore) => Promise<void>,
): Promise<void> {
  const first = await eventCore('postgres');
  let second: EventCore | undefined;
  try {
    const created = await createWithConnections(first, 'hello', connections);
    assert.equal(created.status, 201, created.body);
    second = await eventCore('postgres', { db: await sameDatabase(first.core.db), module: first.module });
    await body(first, second);
  } finally {
    await second?.core.close();
    await first.core.close();
  }
}

describe(
  'several Cores on one database',
  { skip: DIALECTS.includes('postgres') ? false : 'needs PostgreSQL' },
  () => {
    test('an MQTT message runs on one Core only (a shared subscription), and both Cores take part', async () => {
      const topic = `fl-test/${uniqueName('t')}`;
      await twoCores(
        { events: [{ type: 'mqtt', params: { ...SHARED_MQTT, topic } }] },
        async (first, second) => {
          // Both subscribed at their start (the first when the function was created).
          await eventually(async () => {
            const got = await second.core.request('GET', `/v1/fn/${first.module}/hello`);
            return got.json?.data?.events?.[0]?.state === 'connected';
          }, 'the second Core subscribes');
          const publisher = await mqtt.connectAsync({ ...SHARED_MQTT, reconnectPeriod: 0 });
          try {
            for (let n = 0; n < 20; n++) await publisher.publishAsync(topic, `{"n":${n}}`, { qos: 1 });
          } finally {
            await publisher.endAsync();
          }
          const all = () =>
            [...invocationsOf(first, 'hello'), ...invocationsOf(second, 'hello')] as { n: number }[];
          await eventually(() => new Set(all().map((a) => a.n)).size === 20, 'every message runs');
          assert.equal(all().length, 20, 'none ran twice');
          assert.ok(
            invocationsOf(first, 'hello').length > 0 && invocationsOf(second, 'hello').length > 0,
            'both Cores took some',
          );
        },
      );
    });

    test('a schedule runs on the Core that owns the schedules lease only', async () =>
      twoCores({ events: [{ type: 'schedule', params: { cron: '* * * * * *' } }] }, async (first, second) => {
        await eventually(async () => {
          const got = await second.core.request('GET', `/v1/fn/${first.module}/hello`);
          return got.json?.data?.events?.[0]?.state === 'connected';
        }, 'the second Core has the schedule');
        await eventually(
          () => invocationsOf(first, 'hello').length + invocationsOf(second, 'hello').length >= 3,
          'three runs',
          { timeoutMs: 10_000 },
        );
        const counts = [invocationsOf(first, 'hello').length, invocationsOf(second, 'hello').length];
        assert.ok(counts.includes(0), `one Core ran them all: ${counts.join(' and ')}`);
      }));
  },
);
