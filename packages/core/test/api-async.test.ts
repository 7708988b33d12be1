import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ErrorCode, FlError } from '@funless/protocol';
import { eventually, watFixture } from '@funless/testing';

import type { ClusterFunction } from '../src/cluster/index.js';
import { DIALECTS } from './support/databases.js';
import { PrometheusText } from './support/prometheus-text.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

/** Invocations that wait until the test lets each one go. */
class Gate {
  readonly waiting: {
    fn: ClusterFunction;
    args: unknown;
    go: (value: unknown) => void;
    fail: (e: Error) => void;
  }[] = [];

  /** Every invocation's release, to let them all go at the end. */
  readonly all: ((value: unknown) => void)[] = [];

  /** Once open, invocations are answered at once. */
  open = false;

  readonly onInvoke = (fn: ClusterFunction, args: unknown): Promise<unknown> =>
    this.open
      ? Promise.resolve('open')
      : new Promise((go, fail) => {
          this.waiting.push({ fn, args, go, fail });
          this.all.push(go);
        });

  next(): Promise<Gate['waiting'][number]> {
    return eventually(() => this.waiting.shift(), 'an invocation reaches the cluster');
  }
}

interface Setup {
  core: TestCore;
  cluster: RecordingCluster;
  gate: Gate;
  module: string;
  url: string;
}

async function withCore(
  dialect: 'sqlite' | 'postgres',
  body: (setup: Setup) => Promise<void>,
  core: { asyncConcurrency?: number; asyncQueueMax?: number } = {},
  async: { retryDelayMs?: number; workerWaitMs?: number } = {},
): Promise<void> {
  const gate = new Gate();
  const cluster = new RecordingCluster(gate.onInvoke);
  const test = await createTestCore(dialect, {
    cluster,
    core,
    activations: { recorder: { flushIntervalMs: 5 }, async },
  });
  try {
    const module = uniqueName('mod');
    await test.request('POST', '/v1/fn', { json: { module: { name: module } } });
    const created = await test.request('POST', `/v1/fn/${module}`, {
      form: { name: 'hello', code: await watFixture('hello') },
    });
    assert.equal(created.status, 201, created.body);
    await body({ core: test, cluster, gate, module, url: `/v1/fn/${module}/hello` });
  } finally {
    gate.open = true;
    for (const go of gate.all) go('released');
    await test.close();
  }
}

const status = async (core: TestCore, id: string): Promise<string> =>
  (await core.request('GET', `/v1/activations/${id}`)).json.data.status as string;

for (const dialect of DIALECTS) {
  describe(`asynchronous invocations (${dialect})`, () => {
    test('blocking=false answers 202 with the id of a stored record, which goes queued, running, success', () =>
      withCore(
        dialect,
        async ({ core, gate, url }) => {
          // The only slot is taken, so the second waits in the queue.
          const first = await core.request('POST', `${url}?blocking=false`, { json: { args: { n: 1 } } });
          const held = await gate.next();
          const res = await core.request('POST', `${url}?blocking=false`, {
            json: { args: { n: 2 } },
            token: core.guestToken,
          });
          assert.equal(first.status, 202);
          assert.equal(res.status, 202, res.body);
          const id = res.json.data.activation_id as string;
          assert.deepEqual(res.json, { data: { activation_id: id } });
          assert.equal(res.headers['x-fl-activation-id'], id);
          // Durable before the answer: the database has it, queued.
          const stored = await core.store.activations.get(id);
          assert.equal(stored?.status, 'queued');
          assert.equal(stored?.trigger, 'async');
          assert.equal(stored?.subject, 'guest');

          held.go({ first: true });
          const second = await gate.next();
          assert.deepEqual(second.args, { n: 2 });
          assert.equal(await status(core, id), 'running');
          second.go({ answer: 42 });
          await eventually(async () => (await status(core, id)) === 'success', 'it ends as success');
          const record = await core.request('GET', `/v1/activations/${id}`);
          assert.deepEqual(record.json.data.result, { answer: 42 });
          assert.equal(record.json.data.worker, 'w1');
          assert.equal(record.json.data.trigger, 'async');
          assert.ok(record.json.data.total_ms >= 0);
        },
        { asyncConcurrency: 1 },
      ));

    test('a failure is recorded under its code', () =>
      withCore(dialect, async ({ core, gate, url }) => {
        const res = await core.request('POST', `${url}?blocking=false`);
        (await gate.next()).fail(new FlError(ErrorCode.Timeout, 'did not finish within 10 ms'));
        const id = res.json.data.activation_id as string;
        await eventually(async () => (await status(core, id)) === 'timeout', 'it ends as timeout');
        const record = (await core.request('GET', `/v1/activations/${id}`)).json.data;
        assert.equal(record.error, 'did not finish within 10 ms');
      }));

    test('an invocation no Worker can take waits in the queue and runs when one can', () =>
      withCore(
        dialect,
        async ({ core, cluster, gate, url }) => {
          let tries = 0;
          const invoke = cluster.invoke.bind(cluster);
          cluster.invoke = (fn, input, options) =>
            ++tries < 3
              ? Promise.reject(new FlError(ErrorCode.NoWorker, 'no Worker is connected'))
              : invoke(fn, input, options);
          const res = await core.request('POST', `${url}?blocking=false`);
          const id = res.json.data.activation_id as string;
          const third = await gate.next();
          assert.equal(tries, 3);
          assert.equal(await status(core, id), 'running');
          third.go('at last');
          await eventually(async () => (await status(core, id)) === 'success', 'it ends as success');
        },
        {},
        { retryDelayMs: 5 },
      ));

    test('an invocation that finds no Worker for longer than its wait ends as no_worker', () =>
      withCore(
        dialect,
        async ({ core, cluster, url }) => {
          let tries = 0;
          cluster.invoke = () => {
            tries++;
            return Promise.reject(new FlError(ErrorCode.NoWorker, 'no Worker is connected'));
          };
          const id = (await core.request('POST', `${url}?blocking=false`)).json.data.activation_id as string;
          await eventually(async () => (await status(core, id)) === 'no_worker', 'it ends as no_worker');
          assert.ok(tries >= 2, `tried ${tries} times`);
          const record = (await core.request('GET', `/v1/activations/${id}`)).json.data;
          assert.equal(record.error, 'no Worker is connected');
        },
        {},
        { retryDelayMs: 5, workerWaitMs: 50 },
      ));

    test('beyond FL_ASYNC_QUEUE_MAX waiting the Core answers 503 with the limit; nothing is stored', () =>
      withCore(
        dialect,
        async ({ core, gate, url }) => {
          assert.equal((await core.request('POST', `${url}?blocking=false`)).status, 202);
          await gate.next();
          for (let i = 0; i < 2; i++) {
            assert.equal((await core.request('POST', `${url}?blocking=false`)).status, 202);
          }
          const depth = new PrometheusText((await core.request('GET', '/metrics')).body);
          assert.equal(depth.value('fl_async_queue_depth'), 2, 'two wait, the third runs');
          const refused = await core.request('POST', `${url}?blocking=false`);
          assert.equal(refused.status, 503);
          assert.match(
            refused.json.errors.detail,
            /the queue of asynchronous invocations is full: 2 are waiting, the limit of this Core is 2 \(FL_ASYNC_QUEUE_MAX\)/,
          );
          assert.equal(refused.headers['x-fl-activation-id'], undefined);
          assert.equal(await core.store.activations.count({}), 3);
        },
        { asyncConcurrency: 1, asyncQueueMax: 2 },
      ));

    test('what is refused at once is refused before anything is stored', () =>
      withCore(dialect, async ({ core, module }) => {
        const cases = [
          [`/v1/fn/${module}/nope?blocking=false`, {}, 404],
          [`/v1/fn/${module}/hello?blocking=no`, {}, 400],
          [`/v1/fn/${module}/hello?blocking=false&blocking=true`, {}, 400],
          [`/v1/fn/${module}/hello?wait=false`, {}, 400],
          [
            `/v1/fn/${module}/hello?blocking=false`,
            { json: { args: {}, scheduling: { language: 'app', script: 'missing' } } },
            404,
          ],
          [`/v1/fn/${module}/hello?blocking=false`, { json: { args: [] } }, 400],
        ] as const;
        for (const [url, options, expected] of cases) {
          const res = await core.request('POST', url, options);
          assert.equal(res.status, expected, `${url}: ${res.body}`);
        }
        const bad = await core.request('POST', `/v1/fn/${module}/hello?blocking=maybe`);
        assert.match(bad.json.errors.detail, /blocking must be "true" or "false", got "maybe"/);
        const unknown = await core.request('POST', `/v1/fn/${module}/hello?wait=false`);
        assert.match(unknown.json.errors.detail, /unknown query parameter "wait" \(known: blocking\)/);
        assert.equal(await core.store.activations.count({}), 0);
      }));

    test('a function deleted while its invocation waits ends as not_found', () =>
      withCore(
        dialect,
        async ({ core, gate, module, url }) => {
          await core.request('POST', `/v1/fn/${module}/hello?blocking=false`);
          const held = await gate.next();
          const res = await core.request('POST', `${url}?blocking=false`);
          assert.equal((await core.request('DELETE', url)).status, 204);
          held.go(1);
          const id = res.json.data.activation_id as string;
          await eventually(async () => (await status(core, id)) === 'not_found', 'it ends as not_found');
          const record = (await core.request('GET', `/v1/activations/${id}`)).json.data;
          assert.match(record.error, /it was deleted after this invocation was accepted/);
        },
        { asyncConcurrency: 1 },
      ));

    test('a Core that stops while an invocation runs past its shutdown time ends it as interrupted', async () => {
      const gate = new Gate();
      const core = await createTestCore(dialect, {
        cluster: new RecordingCluster(gate.onInvoke),
        core: { shutdownTimeoutMs: 20 },
      });
      try {
        const created = await core.request('POST', '/v1/fn/_', {
          form: { name: 'slow', code: await watFixture('hello') },
        });
        assert.equal(created.status, 201);
        const running = (await core.request('POST', '/v1/fn/_/slow?blocking=false')).json.data
          .activation_id as string;
        const held = await gate.next();
        await core.app.close();
        held.go('too late');
        const record = await core.store.activations.get(running);
        assert.equal(record?.status, 'interrupted');
        assert.match(record?.error ?? '', /the Core stopped while this invocation ran/);
      } finally {
        await core.store.close();
        await core.db.cleanup();
      }
    });

    test('a Core that stops lets running invocations finish and leaves queued ones for its next start', async () => {
      const gate = new Gate();
      const cluster = new RecordingCluster(gate.onInvoke);
      const first = await createTestCore(dialect, { cluster, core: { asyncConcurrency: 1 } });
      let running = '';
      let queued = '';
      try {
        const created = await first.request('POST', '/v1/fn/_', {
          form: { name: 'later', code: await watFixture('hello') },
        });
        assert.equal(created.status, 201);
        running = (await first.request('POST', '/v1/fn/_/later?blocking=false')).json.data.activation_id;
        const held = await gate.next();
        queued = (await first.request('POST', '/v1/fn/_/later?blocking=false')).json.data.activation_id;
        const closing = first.app.close();
        // Closing has begun once the Core answers 503 to new requests.
        await eventually(
          () =>
            first.app.inject({ url: '/v1/' }).then(
              (res) => res.statusCode === 503,
              () => true,
            ),
          'the Core is closing',
        );
        held.go('finished while closing');
        await closing;
      } finally {
        await first.store.close();
      }
      assert.equal(cluster.invocations.length, 1, 'the queued one did not run');

      const gate2 = new Gate();
      const second = await createTestCore(dialect, {
        cluster: new RecordingCluster(gate2.onInvoke),
        db: first.db,
      });
      try {
        assert.equal(await status(second, running), 'success');
        (await gate2.next()).go('ran after the restart');
        await eventually(async () => (await status(second, queued)) === 'success', 'the queued one ran');
      } finally {
        await second.close();
      }
    });
  });
}
