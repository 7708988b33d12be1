import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ErrorCode, FlError, LogStream } from '@funless/protocol';
import { eventually, watFixture } from '@funless/testing';

import { ActivationIds } from '../src/activations/index.js';
import type { ClusterFunction } from '../src/cluster/index.js';
import { OPENAPI_DOCUMENT } from '../src/http/index.js';
import { ActivationState, ActivationTrigger, openStore } from '../src/store/index.js';
import type { ActivationRecord, ActivationStore, Store } from '../src/store/index.js';
import { DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

type OnInvoke = (fn: ClusterFunction, args: unknown) => Promise<unknown>;
type TestCoreOptions = NonNullable<Parameters<typeof createTestCore>[1]>;

const echo: OnInvoke = (_fn, args) => Promise.resolve({ echo: args });

/** A store whose activation writes can be held back, failed, or counted. */
class WriteControl {
  held: Promise<void> | undefined;
  release: () => void = () => {};
  failNext = 0;
  /** What the next failures throw. @default a lost connection (the database away) */
  failWith: () => Error = () => Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
  inserts: number[] = [];
  deletes: number[] = [];

  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  wrap(store: Store): Store {
    const inner = store.activations;
    const activations: ActivationStore = {
      ...Object.fromEntries(
        (Object.getOwnPropertyNames(Object.getPrototypeOf(inner)) as (keyof ActivationStore)[])
          .filter((k) => k !== ('constructor' as string))
          .map((k) => [k, (inner[k] as (...a: unknown[]) => unknown).bind(inner)]),
      ),
      insert: async (records) => {
        await this.held;
        if (this.failNext > 0) {
          this.failNext--;
          throw this.failWith();
        }
        this.inserts.push(records.length);
        return inner.insert(records);
      },
      deleteBelow: (id, batch) => {
        this.deletes.push(batch);
        return inner.deleteBelow(id, batch);
      },
    } as ActivationStore;
    return new Proxy(store, {
      get: (target, key, receiver) =>
        key === 'activations' ? activations : (Reflect.get(target, key, receiver) as unknown),
    });
  }
}

interface Setup {
  core: TestCore;
  cluster: RecordingCluster;
  module: string;
  url: string;
}

async function withCore(
  dialect: 'sqlite' | 'postgres',
  body: (setup: Setup) => Promise<void>,
  options: {
    onInvoke?: OnInvoke;
    control?: WriteControl;
    core?: TestCoreOptions['core'];
    recorder?: NonNullable<TestCoreOptions['activations']>['recorder'];
  } = {},
): Promise<void> {
  const cluster = new RecordingCluster(options.onInvoke ?? echo);
  const control = options.control;
  const core = await createTestCore(dialect, {
    cluster,
    ...(options.core ? { core: options.core } : {}),
    activations: { recorder: { flushIntervalMs: 5, ...options.recorder } },
    ...(control
      ? {
          openStore: async (db: TestDatabase) =>
            control.wrap(await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl })),
        }
      : {}),
  });
  try {
    const module = uniqueName('mod');
    await core.request('POST', '/v1/fn', { json: { module: { name: module } } });
    for (const name of ['hello', 'other']) {
      const created = await core.request('POST', `/v1/fn/${module}`, {
        form: { name, code: await watFixture('hello') },
      });
      assert.equal(created.status, 201, created.body);
    }
    await body({ core, cluster, module, url: `/v1/fn/${module}/hello` });
  } finally {
    control?.release();
    await core.close();
  }
}

const idOf = (res: { headers: Record<string, unknown> }): string => {
  const id = res.headers['x-fl-activation-id'];
  assert.equal(typeof id, 'string', 'the answer names its activation');
  return id as string;
};

for (const dialect of DIALECTS) {
  describe(`activation records (${dialect})`, () => {
    test('a synchronous invocation keeps its body and names its record, which says how it went', () =>
      withCore(dialect, async ({ core, cluster, module, url }) => {
        // A guest echoing its input's bytes.
        cluster.invoke = (_fn, input, options) => {
          if (options?.details) Object.assign(options.details, { worker: 'w1', durationMs: 0.25 });
          return Promise.resolve(Buffer.concat([Buffer.from('{"echo":'), input, Buffer.from('}')]));
        };
        const before = Date.now();
        const res = await core.request('POST', url, {
          body: '{"args":{"n":12345678901234567890}}',
          headers: { 'content-type': 'application/json' },
          token: core.guestToken,
        });
        assert.equal(res.status, 200);
        assert.equal(res.body, '{"data":{"echo":{"n":12345678901234567890}}}');
        const id = idOf(res);
        assert.match(id, /^[0-9a-f]{32}$/);
        const got = await core.request('GET', `/v1/activations/${id}`);
        assert.equal(got.status, 200, got.body);
        const a = got.json.data;
        assert.equal(a.activation_id, id);
        assert.equal(a.module, module);
        assert.equal(a.function, 'hello');
        assert.equal(a.status, 'success');
        assert.equal(a.trigger, 'http');
        assert.equal(a.subject, 'guest');
        assert.equal(a.worker, 'w1');
        assert.match(a.hash, /^[0-9a-f]{64}$/);
        assert.equal(a.duration_ms, 0.25, "the Worker's time in the guest");
        assert.ok(a.total_ms >= 0);
        assert.ok(Date.parse(a.start) >= before - 1 && Date.parse(a.start) <= Date.now());
        assert.equal(a.error, null);
        assert.equal(a.result_truncated, false);
        // The result is the guest's bytes: the big integer is not rounded.
        assert.ok(got.body.includes('"result":{"echo":{"n":12345678901234567890}}'), got.body);
      }));

    test('a failed invocation is recorded under its error code and its answer names the record', () =>
      withCore(
        dialect,
        async ({ core, url }) => {
          const res = await core.request('POST', url, { json: { args: {} } });
          assert.equal(res.status, 422);
          const a = (await core.request('GET', `/v1/activations/${idOf(res)}`)).json.data;
          assert.equal(a.status, 'trap');
          assert.equal(a.error, 'unreachable executed');
          assert.equal(a.result, null);
          assert.equal(a.worker, 'w1');
        },
        { onInvoke: () => Promise.reject(new FlError(ErrorCode.Trap, 'unreachable executed')) },
      ));

    test('no Worker: the 503 is recorded as no_worker, without a Worker', () =>
      withCore(dialect, async ({ core, cluster, url }) => {
        cluster.invoke = () => Promise.reject(new FlError(ErrorCode.NoWorker, 'No worker available'));
        const res = await core.request('POST', url);
        assert.equal(res.status, 503);
        const a = (await core.request('GET', `/v1/activations/${idOf(res)}`)).json.data;
        assert.equal(a.status, 'no_worker');
        assert.equal(a.worker, null);
        assert.equal(a.error, 'No worker available');
      }));

    test('a fault of the platform is recorded as internal without its internals', () =>
      withCore(
        dialect,
        async ({ core, url }) => {
          const res = await core.request('POST', url);
          assert.equal(res.status, 500);
          const a = (await core.request('GET', `/v1/activations/${idOf(res)}`)).json.data;
          assert.equal(a.status, 'internal');
          assert.doesNotMatch(a.error, /secret/);
        },
        { onInvoke: () => Promise.reject(new Error('/srv/secret/path exploded')) },
      ));

    test('a result over 64 KiB is kept cut, flagged result_truncated; the answer is whole', () =>
      withCore(
        dialect,
        async ({ core, url }) => {
          const res = await core.request('POST', url);
          assert.equal(res.status, 200);
          assert.equal(res.json.data.length, 100_000);
          const a = (await core.request('GET', `/v1/activations/${idOf(res)}`)).json.data;
          assert.equal(a.result_truncated, true);
          assert.equal(typeof a.result, 'string');
          assert.equal(Buffer.byteLength(a.result), 64 * 1024);
          assert.ok(a.result.startsWith('"xxxx'));
        },
        { onInvoke: () => Promise.resolve('x'.repeat(100_000)) },
      ));

    test('the list is newest first, filtered, paged by cursor, with X-Total-Count', () =>
      withCore(
        dialect,
        async ({ core, module }) => {
          const ids: string[] = [];
          for (const [fn, fail] of [
            ['hello', false],
            ['other', true],
            ['hello', false],
            ['hello', true],
            ['other', false],
          ] as const) {
            const res = await core.request('POST', `/v1/fn/${module}/${fn}`, { json: { args: { fail } } });
            ids.push(idOf(res));
          }
          const all = await core.request('GET', '/v1/activations');
          assert.equal(all.status, 200);
          assert.deepEqual(
            all.json.data.map((a: { activation_id: string }) => a.activation_id),
            [...ids].reverse(),
          );
          assert.equal(all.headers['x-total-count'], '5');
          assert.equal(all.json.next_cursor, null);
          assert.equal(all.json.data[0].result, undefined, 'a list has no results');

          const hello = await core.request('GET', `/v1/activations?module=${module}&function=hello`);
          assert.deepEqual(
            hello.json.data.map((a: { activation_id: string }) => a.activation_id),
            [ids[3], ids[2], ids[0]],
          );
          const failed = await core.request('GET', '/v1/activations?status=guest_error');
          assert.deepEqual(
            failed.json.data.map((a: { activation_id: string }) => a.activation_id),
            [ids[3], ids[1]],
          );
          assert.equal(failed.headers['x-total-count'], '2');
          assert.equal(hello.headers['x-total-count'], '3');
          // Status with a function would be counted row by row: no total then.
          const both = await core.request('GET', `/v1/activations?function=hello&status=guest_error`);
          assert.deepEqual(
            both.json.data.map((a: { activation_id: string }) => a.activation_id),
            [ids[3]],
          );
          assert.equal(both.headers['x-total-count'], undefined);

          const seen: string[] = [];
          let cursor: string | null = null;
          let pages = 0;
          do {
            const page: { json: { data: { activation_id: string }[]; next_cursor: string | null } } =
              await core.request('GET', `/v1/activations?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
            seen.push(...page.json.data.map((a) => a.activation_id));
            cursor = page.json.next_cursor;
            pages++;
          } while (cursor !== null);
          assert.equal(pages, 3);
          assert.deepEqual(seen, [...ids].reverse());

          const start = (await core.request('GET', `/v1/activations/${ids[2]}`)).json.data.start as string;
          const since = await core.request('GET', `/v1/activations?since=${encodeURIComponent(start)}`);
          assert.ok(since.json.data.length >= 3);
          assert.ok(since.json.data.every((a: { start: string }) => a.start >= start));
          const until = await core.request('GET', `/v1/activations?until=${Date.parse(start)}`);
          assert.ok(until.json.data.every((a: { start: string }) => a.start <= start));
          assert.ok(until.json.data.some((a: { activation_id: string }) => a.activation_id === ids[2]));
        },
        {
          onInvoke: (_fn, args) =>
            (args as { fail: boolean }).fail
              ? Promise.reject(new FlError(ErrorCode.GuestError, 'asked to fail'))
              : Promise.resolve('ok'),
        },
      ));

    test('X-Total-Count is sent up to 10,000 matches, not beyond (where counting costs more than the page)', () =>
      withCore(dialect, async ({ core, module }) => {
        const ids = new ActivationIds();
        const base = {
          module,
          trigger: ActivationTrigger.Http,
          subject: null,
          worker: null,
          hash: null,
          durationMs: null,
          totalMs: null,
          error: null,
          result: null,
          resultTruncated: false,
          logs: [],
          logsTruncated: false,
        };
        const records: ActivationRecord[] = Array.from({ length: 10_001 }, (_, i) => ({
          ...base,
          id: ids.next(),
          function: i < 10 ? 'few' : 'many',
          status: ActivationState.Success,
        }));
        for (let i = 0; i < records.length; i += 2000)
          await core.store.activations.insert(records.slice(i, i + 2000));
        const all = await core.request('GET', '/v1/activations?limit=1');
        assert.equal(all.status, 200);
        assert.equal(all.headers['x-total-count'], undefined, '10,001 match');
        assert.equal(all.json.data.length, 1);
        const few = await core.request('GET', '/v1/activations?function=few');
        assert.equal(few.headers['x-total-count'], '10');
        const many = await core.request('GET', '/v1/activations?function=many&limit=1');
        assert.equal(many.headers['x-total-count'], '9991');
      }));

    for (const [query, detail] of [
      [
        'status=nope',
        /status "nope" is unknown: use one of queued, running, success, interrupted, bad_request/,
      ],
      ['limit=0', /limit must be an integer from 1 to 1000, got "0"/],
      ['limit=1001', /limit must be an integer from 1 to 1000/],
      ['limit=ten', /limit must be an integer/],
      ['since=yesterday', /since "yesterday" is not a time: give an ISO 8601 time/],
      ['until=2026-13-45', /until "2026-13-45" is not a time/],
      ['since=2026-02-01&until=2026-01-01', /since \(2026-02-01\) is after until \(2026-01-01\)/],
      ['cursor=abc', /cursor "abc" is not one this API gave/],
      ['module=..%2Fx', /module "..\/x" is invalid: names are/],
      ['function=', /function "" is invalid/],
      [
        'fn=hello',
        /unknown query parameter "fn" \(known: module, function, status, since, until, limit, cursor\)/,
      ],
      ['limit=1&limit=2', /query parameter limit is given more than once/],
    ] as const) {
      test(`a bad filter (${query}) is 400 naming it`, () =>
        withCore(dialect, async ({ core }) => {
          const res = await core.request('GET', `/v1/activations?${query}`);
          assert.equal(res.status, 400, res.body);
          assert.match(res.json.errors.detail, detail);
        }));
    }

    test('an unknown id is 404, a malformed one 400, for the record and its logs', () =>
      withCore(dialect, async ({ core }) => {
        const unknown = 'f'.repeat(32);
        for (const path of [`/v1/activations/${unknown}`, `/v1/activations/${unknown}/logs`]) {
          const res = await core.request('GET', path);
          assert.equal(res.status, 404);
          assert.equal(res.json.errors.detail, `activation ${unknown} not found`);
        }
        for (const bad of ['F'.repeat(32), 'abc', '0'.repeat(33)]) {
          const res = await core.request('GET', `/v1/activations/${bad}/logs`);
          assert.equal(res.status, 400);
          assert.match(
            res.json.errors.detail,
            /activation id .* is invalid: ids are 32 lowercase hex digits/,
          );
        }
        assert.equal((await core.request('GET', `/v1/activations/${unknown}?x=1`)).status, 400);
        assert.equal((await core.request('GET', '/v1/activations', { token: null })).status, 401);
      }));

    test('the logs route gives the lines with their streams, in order, and says when they were cut', () =>
      withCore(dialect, async ({ core, module }) => {
        const id = new ActivationIds().next();
        const logs = [
          { stream: LogStream.Console, text: 'starting' },
          { stream: LogStream.Stdout, text: 'out' },
          { stream: LogStream.Stderr, text: 'err' },
        ];
        const record: ActivationRecord = {
          id,
          module,
          function: 'hello',
          trigger: ActivationTrigger.Http,
          subject: null,
          status: ErrorCode.Trap,
          worker: 'w1',
          hash: null,
          durationMs: 1,
          totalMs: 2,
          error: 'unreachable',
          result: null,
          resultTruncated: false,
          logs,
          logsTruncated: true,
        };
        await core.store.activations.insert([record]);
        const res = await core.request('GET', `/v1/activations/${id}/logs`, { token: core.guestToken });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: logs, truncated: true });
        const whole = await core.request('GET', `/v1/activations/${id}`);
        assert.deepEqual(whole.json.data.logs, logs);
        assert.equal(whole.json.data.logs_truncated, true);
      }));

    test("a subject sees the activations of the functions it may invoke: an invoker sees another subject's", () =>
      withCore(dialect, async ({ core, url }) => {
        const id = idOf(await core.request('POST', url, { token: core.guestToken }));
        const made = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: 'sensor_1', role: 'invoker' } },
        });
        assert.equal(made.status, 201, made.body);
        const token = made.json.data.token as string;
        const listed = await core.request('GET', '/v1/activations', { token });
        assert.equal(listed.status, 200, listed.body);
        assert.deepEqual(
          listed.json.data.map((a: { activation_id: string }) => a.activation_id),
          [id],
        );
        assert.equal((await core.request('GET', `/v1/activations/${id}`, { token })).status, 200);
        assert.equal((await core.request('GET', `/v1/activations/${id}/logs`, { token })).status, 200);
      }));

    test('reading activations needs exactly the role that invoking needs (one rule)', () => {
      const paths = OPENAPI_DOCUMENT.paths as Record<string, Record<string, Record<string, unknown>>>;
      const invokeRole = paths['/v1/fn/{mod}/{fn}']!.post!['x-fl-role'];
      assert.ok(invokeRole);
      for (const path of ['/v1/activations', '/v1/activations/{id}', '/v1/activations/{id}/logs']) {
        assert.equal(paths[path]!.get!['x-fl-role'], invokeRole, path);
      }
    });

    test('an invocation does not wait for the database: its record is readable before it is written', () => {
      const control = new WriteControl();
      control.hold();
      return withCore(
        dialect,
        async ({ core, url }) => {
          const res = await core.request('POST', url, { json: { args: { a: 1 } } });
          assert.equal(res.status, 200, 'answered while the write is held back');
          const id = idOf(res);
          assert.equal((await core.request('GET', `/v1/activations/${id}`)).json.data.status, 'success');
          const listed = await core.request('GET', '/v1/activations');
          assert.equal(listed.json.data[0].activation_id, id);
          assert.equal(listed.headers['x-total-count'], '1');
          assert.equal(await core.store.activations.get(id), undefined, 'not in the database yet');
          control.release();
          await eventually(() => core.store.activations.get(id), 'the record is written');
        },
        { control },
      );
    });

    test('records are written in batches', () => {
      const control = new WriteControl();
      control.hold();
      return withCore(
        dialect,
        async ({ core, url }) => {
          const answers = await Promise.all(Array.from({ length: 20 }, () => core.request('POST', url)));
          assert.ok(answers.every((r) => r.status === 200));
          control.release();
          await eventually(async () => (await core.store.activations.count({})) === 20, '20 records written');
          assert.ok(control.inserts.length < 20, `${control.inserts.length} writes for 20 records`);
          assert.equal(
            control.inserts.reduce((a, b) => a + b, 0),
            20,
          );
        },
        { control },
      );
    });

    test('a failed write is tried again: no record is lost', () => {
      const control = new WriteControl();
      control.failNext = 2;
      return withCore(
        dialect,
        async ({ core, url }) => {
          const id = idOf(await core.request('POST', url));
          await eventually(() => core.store.activations.get(id), 'the record is written after two failures');
          assert.equal(control.failNext, 0);
        },
        { control, recorder: { retryMs: 5 } },
      );
    });

    test('a batch the database refuses for good is dropped, not tried forever: the records after it are written', () => {
      const control = new WriteControl();
      control.failNext = 1;
      control.failWith = () => new Error('a row the database cannot take');
      return withCore(
        dialect,
        async ({ core, url }) => {
          const first = idOf(await core.request('POST', url));
          await eventually(() => control.failNext === 0, 'the first write failed');
          const second = idOf(await core.request('POST', url));
          await eventually(() => core.store.activations.get(second), 'the next record is written');
          assert.equal(await core.store.activations.get(first), undefined, 'the refused one is gone');
          assert.equal((await core.request('GET', `/v1/activations/${first}`)).status, 404);
        },
        { control, recorder: { retryMs: 5 } },
      );
    });

    test('text a database cannot hold (U+0000 in an error or a log line) is kept as U+FFFD', () =>
      withCore(dialect, async ({ core, cluster, url }) => {
        cluster.invoke = (_fn, _input, options) => {
          if (options?.details) {
            options.details.worker = 'w1';
            options.details.logs = [{ stream: LogStream.Stdout, text: 'nul:\u0000.' }];
          }
          return Promise.reject(new FlError(ErrorCode.GuestError, 'bad\u0000byte'));
        };
        const res = await core.request('POST', url);
        assert.equal(res.status, 422);
        const id = idOf(res);
        await eventually(() => core.store.activations.get(id), 'written');
        const a = (await core.request('GET', `/v1/activations/${id}`)).json.data;
        assert.equal(a.error, 'bad\ufffdbyte');
        assert.deepEqual(a.logs, [{ stream: 'stdout', text: 'nul:\ufffd.' }]);
      }));

    test('while the database does not keep up, records beyond the memory bound are dropped', () => {
      const control = new WriteControl();
      control.hold();
      return withCore(
        dialect,
        async ({ core, url }) => {
          const first = idOf(await core.request('POST', url));
          const second = await core.request('POST', url);
          assert.equal(second.status, 200, 'the invocation is answered all the same');
          assert.equal((await core.request('GET', `/v1/activations/${first}`)).status, 200);
          assert.equal((await core.request('GET', `/v1/activations/${idOf(second)}`)).status, 404);
        },
        // Room for one record of this size, not two.
        { control, recorder: { maxBufferedBytes: 400 } },
      );
    });

    test('closing the Core writes every record still in memory', async () => {
      const control = new WriteControl();
      let ids: string[] = [];
      const cluster = new RecordingCluster(echo);
      const core = await createTestCore(dialect, {
        cluster,
        activations: { recorder: { flushIntervalMs: 3_600_000 } },
        openStore: async (d) =>
          control.wrap(await openStore({ dataDir: d.dataDir, databaseUrl: d.databaseUrl })),
      });
      const db = core.db;
      try {
        const created = await core.request('POST', '/v1/fn/_', {
          form: { name: 'kept', code: await watFixture('hello') },
        });
        assert.equal(created.status, 201);
        const answers = await Promise.all([1, 2, 3].map(() => core.request('POST', '/v1/fn/_/kept')));
        ids = answers.map(idOf);
        assert.equal(control.inserts.length, 0, 'nothing written yet');
      } finally {
        await core.close(true);
      }
      const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
      try {
        for (const id of ids) assert.equal((await store.activations.get(id))?.status, 'success', id);
      } finally {
        await store.close();
        await db.cleanup();
      }
    });

    test('pruning keeps FL_ACTIVATION_MAX records and none older than the retention, in bounded batches', () => {
      const control = new WriteControl();
      return withCore(
        dialect,
        async ({ core, module }) => {
          const ids = new ActivationIds();
          const old = Date.now() - 8 * 24 * 3600 * 1000;
          const base = {
            module,
            function: 'hello',
            trigger: ActivationTrigger.Http,
            subject: null,
            status: ActivationState.Success,
            worker: null,
            hash: null,
            durationMs: null,
            totalMs: null,
            error: null,
            result: null,
            resultTruncated: false,
            logs: [],
            logsTruncated: false,
          };
          const stale = Array.from({ length: 5 }, (_, i) => ({ ...base, id: ids.next(old + i) }));
          const recent = Array.from({ length: 6 }, (_, i) => ({ ...base, id: ids.next(Date.now() + i) }));
          await core.store.activations.insert([...stale, ...recent]);
          await eventually(
            async () => (await core.store.activations.count({})) === 4,
            'pruned down to the 4 newest',
          );
          const left = await core.store.activations.list({ limit: 10 });
          assert.deepEqual(
            left.map((a) => a.id),
            recent
              .slice(2)
              .map((a) => a.id)
              .reverse(),
          );
          assert.ok(control.deletes.length >= 5, `batches: ${control.deletes.join(', ')}`);
          assert.ok(control.deletes.every((batch) => batch === 2));
        },
        { control, core: { activationMax: 4 }, recorder: { pruneIntervalMs: 20, pruneBatch: 2 } },
      );
    });

    for (const [option, value] of [
      ['activationMax', 0],
      ['activationRetentionDays', 0],
    ] as const) {
      test(`${option} 0 turns recording off: no header, no record, no asynchronous invocations`, () =>
        withCore(
          dialect,
          async ({ core, url }) => {
            const res = await core.request('POST', url);
            assert.equal(res.status, 200);
            assert.equal(res.headers['x-fl-activation-id'], undefined);
            assert.equal(await core.store.activations.count({}), 0);
            const async = await core.request('POST', `${url}?blocking=false`);
            assert.equal(async.status, 503);
            assert.match(async.json.errors.detail, /asynchronous invocations are off on this Core/);
          },
          { core: { [option]: value } },
        ));
    }
  });
}
