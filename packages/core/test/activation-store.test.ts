import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ErrorCode, LogStream } from '@funless/protocol';

import { ActivationIds, firstIdAt } from '../src/activations/index.js';
import { ActivationState, ActivationTrigger, openStore } from '../src/store/index.js';
import type { ActivationRecord, Store } from '../src/store/index.js';
import { DIALECTS, createTestDatabase } from './support/databases.js';

async function withStore(
  dialect: 'sqlite' | 'postgres',
  body: (store: Store) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabase(dialect);
  const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
  try {
    await body(store);
  } finally {
    await store.close();
    await db.cleanup();
  }
}

const T0 = Date.parse('2026-03-01T12:00:00Z');

function record(id: string, fields: Partial<ActivationRecord> = {}): ActivationRecord {
  return {
    id,
    module: 'm',
    function: 'f',
    trigger: ActivationTrigger.Http,
    subject: 'guest',
    status: ActivationState.Success,
    worker: 'w1',
    hash: 'ab'.repeat(32),
    durationMs: 1.25,
    totalMs: 2.5,
    error: null,
    result: '{"n":1}',
    resultTruncated: false,
    logs: [],
    logsTruncated: false,
    source: null,
    deliveries: [],
    ...fields,
  };
}

/** `n` ids, one per second from `T0`, oldest first. */
function idsFrom(n: number, start = T0): string[] {
  const ids = new ActivationIds();
  return Array.from({ length: n }, (_, i) => ids.next(start + i * 1000));
}

for (const dialect of DIALECTS) {
  describe(`activation store (${dialect})`, () => {
    test('a batch is stored whole and read back as it was written', () =>
      withStore(dialect, async (store) => {
        const [a, b] = idsFrom(2) as [string, string];
        const logs = [
          { stream: LogStream.Console, text: 'héllo' },
          { stream: LogStream.Stderr, text: '' },
        ];
        await store.activations.insert([
          record(a, { logs, logsTruncated: true, result: '{"big":', resultTruncated: true }),
          record(b, {
            status: ErrorCode.Trap,
            error: 'unreachable',
            result: null,
            worker: null,
            durationMs: null,
          }),
        ]);
        assert.deepEqual(
          await store.activations.get(a),
          record(a, { logs, logsTruncated: true, result: '{"big":', resultTruncated: true }),
        );
        const fromEvent = {
          trigger: ActivationTrigger.Mqtt,
          subject: null,
          source: 'sensors/kitchen',
          deliveries: [
            { sink: 0, type: 'webhook', status: 'delivered' as const, attempts: 1 },
            { sink: 1, type: 'mqtt', status: 'failed' as const, attempts: 3, error: 'not connected' },
          ],
        };
        const [c] = idsFrom(1, T0 + 5_000) as [string];
        await store.activations.insert([record(c, fromEvent)]);
        assert.deepEqual(
          await store.activations.get(c),
          record(c, fromEvent),
          'trigger, source and deliveries',
        );
        assert.equal((await store.activations.list({ limit: 10 }))[0]?.source, 'sensors/kitchen');
        const failed = await store.activations.get(b);
        assert.equal(failed?.status, 'trap');
        assert.equal(failed?.error, 'unreachable');
        assert.equal(failed?.worker, null);
        assert.equal(failed?.durationMs, null);
        assert.equal(await store.activations.get('0'.repeat(32)), undefined);
      }));

    test('writing a batch again changes nothing (a commit that was not confirmed)', () =>
      withStore(dialect, async (store) => {
        const [a] = idsFrom(1) as [string];
        await store.activations.insert([record(a)]);
        await store.activations.insert([record(a, { status: ErrorCode.Trap })]);
        assert.equal((await store.activations.get(a))?.status, 'success');
        assert.equal(await store.activations.count({}), 1);
      }));

    test('a batch larger than one statement holds is stored whole', () =>
      withStore(dialect, async (store) => {
        const ids = idsFrom(1_200);
        await store.activations.insert(ids.map((id) => record(id)));
        assert.equal(await store.activations.count({}), 1_200);
      }));

    test('the list is newest first, filtered, paged by id, and counted without its bounds', () =>
      withStore(dialect, async (store) => {
        const ids = idsFrom(10);
        await store.activations.insert(
          ids.map((id, i) =>
            record(id, {
              function: i % 2 === 0 ? 'even' : 'odd',
              module: i < 5 ? 'm1' : 'm2',
              status: i % 3 === 0 ? ErrorCode.Timeout : ActivationState.Success,
            }),
          ),
        );
        const all = await store.activations.list({ limit: 100 });
        assert.deepEqual(
          all.map((a) => a.id),
          [...ids].reverse(),
        );
        assert.equal('result' in all[0]!, false, 'a list shows no result');
        assert.equal('logs' in all[0]!, false, 'a list shows no logs');

        const page1 = await store.activations.list({ limit: 3 });
        const page2 = await store.activations.list({ limit: 3, belowId: page1.at(-1)!.id });
        assert.deepEqual(
          [...page1, ...page2].map((a) => a.id),
          [...ids].reverse().slice(0, 6),
        );

        const even = await store.activations.list({ function: 'even', module: 'm2', limit: 100 });
        assert.deepEqual(
          even.map((a) => a.id),
          [ids[8], ids[6]],
        );
        const timeouts = await store.activations.list({ status: ErrorCode.Timeout, limit: 100 });
        assert.deepEqual(
          timeouts.map((a) => a.id),
          [ids[9], ids[6], ids[3], ids[0]],
        );
        // A time range is a range of ids.
        const range = await store.activations.list({
          fromId: firstIdAt(T0 + 2000),
          belowId: firstIdAt(T0 + 5000),
          limit: 100,
        });
        assert.deepEqual(
          range.map((a) => a.id),
          [ids[4], ids[3], ids[2]],
        );
        assert.equal(await store.activations.count({ status: ErrorCode.Timeout }), 4);
        assert.equal(await store.activations.count({ module: 'm1', function: 'odd' }), 2);
      }));

    test('an asynchronous invocation is queued, claimed by one Core only, and finished', () =>
      withStore(dialect, async (store) => {
        const [a, b] = idsFrom(2) as [string, string];
        const input = Buffer.from('{"big":12345678901234567890}');
        for (const id of [a, b]) {
          await store.activations.enqueue({
            id,
            module: 'm',
            function: 'f',
            subject: 'alice',
            input,
            scheduling: '{"language":"app","script":"s"}',
            chainDepth: 3,
          });
        }
        assert.deepEqual(await store.activations.queued(10), [a, b]);
        assert.deepEqual(await store.activations.queued(10, a), [b]);
        const queued = await store.activations.get(a);
        assert.equal(queued?.status, 'queued');
        assert.equal(queued?.trigger, 'async');
        assert.equal(queued?.subject, 'alice');

        const claims = await Promise.all([
          store.activations.claim(a, 'core1', new Date(T0)),
          store.activations.claim(a, 'core2', new Date(T0)),
        ]);
        const won = claims.filter((c) => c !== undefined);
        assert.equal(won.length, 1, 'one claim wins');
        assert.deepEqual(Buffer.from(won[0]!.input), input, 'the input comes back as its bytes');
        assert.equal(won[0]!.scheduling, '{"language":"app","script":"s"}');
        assert.equal(won[0]!.chainDepth, 3);
        assert.equal((await store.activations.get(a))?.status, 'running');
        assert.deepEqual(await store.activations.queued(10), [b]);
        const runner = (await store.activations.claim(b, 'core3', new Date(T0))) ? 'core3' : 'none';
        assert.equal(
          await store.activations.release(b, 'someone else'),
          false,
          'only its runner releases it',
        );
        assert.equal(await store.activations.release(b, runner), true);
        assert.deepEqual(await store.activations.queued(10), [b], 'back in the queue');
        assert.ok(await store.activations.claim(b, 'core1', new Date(T0)), 'and claimed again');

        await store.activations.finish(a, {
          ...record(a),
          status: ErrorCode.GuestError,
          error: 'nope',
          result: null,
        });
        const done = await store.activations.get(a);
        assert.equal(done?.status, 'guest_error');
        assert.equal(done?.error, 'nope');
        assert.equal(done?.trigger, 'async', 'finishing keeps what started it');
        assert.equal(await store.activations.claim(a, 'core1', new Date(T0)), undefined, 'not claimed twice');
      }));

    test('interrupting ends the running activations of one runner, or those past their deadline', () =>
      withStore(dialect, async (store) => {
        const [a, b, c, d] = idsFrom(4) as [string, string, string, string];
        for (const id of [a, b, c, d]) {
          await store.activations.enqueue({
            id,
            module: 'm',
            function: 'f',
            subject: null,
            input: Buffer.from('{}'),
            scheduling: null,
            chainDepth: 0,
          });
        }
        await store.activations.claim(a, 'old', new Date(T0 + 60_000));
        await store.activations.claim(b, 'other', new Date(T0 + 60_000));
        await store.activations.claim(c, 'other', new Date(T0 + 1_000));
        assert.equal(await store.activations.interrupt('the Core stopped', { runner: 'old' }), 1);
        assert.equal((await store.activations.get(a))?.status, 'interrupted');
        assert.equal((await store.activations.get(a))?.error, 'the Core stopped');
        assert.equal(await store.activations.interrupt('late', { now: new Date(T0 + 2_000) }), 1);
        assert.equal((await store.activations.get(c))?.status, 'interrupted');
        assert.equal((await store.activations.get(b))?.status, 'running', 'within its deadline');
        assert.equal((await store.activations.get(d))?.status, 'queued', 'a queued one is not touched');
      }));

    test('pruning deletes finished records only, oldest first, in bounded batches', () =>
      withStore(dialect, async (store) => {
        const ids = idsFrom(6);
        await store.activations.insert(ids.slice(0, 5).map((id) => record(id)));
        await store.activations.enqueue({
          id: ids[5]!,
          module: 'm',
          function: 'f',
          subject: null,
          input: Buffer.from('{}'),
          scheduling: null,
          chainDepth: 0,
        });
        assert.equal(await store.activations.keptFrom(2), ids[3], 'the second newest finished one');
        assert.equal(await store.activations.keptFrom(5), ids[0]);
        assert.equal(await store.activations.keptFrom(6), undefined);
        assert.equal(await store.activations.deleteBelow(ids[3]!, 2), 2, 'one batch');
        assert.equal(await store.activations.deleteBelow(ids[3]!, 2), 1);
        assert.equal(await store.activations.deleteBelow(ids[3]!, 2), 0);
        assert.equal(await store.activations.deleteBelow(firstIdAt(T0 + 3600_000), 100), 2);
        assert.deepEqual(
          (await store.activations.list({ limit: 10 })).map((a) => a.id),
          [ids[5]],
          'the queued one stays',
        );
      }));
  });
}
