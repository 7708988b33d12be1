import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ErrorCode, FlError } from '@funless/protocol';
import type { ErrorCode as ErrorCodeType } from '@funless/protocol';
import { watFixture } from '@funless/testing';

import type { ClusterFunction } from '../src/cluster/index.js';
import { defaultPolicy } from '../src/scheduling/index.js';
import { CachedStore } from '../src/store/index.js';
import { worker } from './scheduling/helpers.js';
import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

async function withFunction(
  dialect: 'sqlite' | 'postgres',
  onInvoke: (fn: ClusterFunction, args: unknown) => Promise<unknown>,
  body: (core: TestCore, url: string, cluster: RecordingCluster) => Promise<void>,
  useDefaultCluster = false,
): Promise<void> {
  const cluster = new RecordingCluster(onInvoke);
  const core = await createTestCore(dialect, {
    ...(useDefaultCluster ? {} : { cluster }),
  });
  try {
    const module = uniqueName('mod');
    await core.request('POST', '/v1/fn', { json: { module: { name: module } } });
    const created = await core.request('POST', `/v1/fn/${module}`, {
      form: { name: 'hello', code: await watFixture('hello'), metadata: '{"tag":"t1","capacity":16}' },
    });
    assert.equal(created.status, 201);
    await body(core, `/v1/fn/${module}/hello`, cluster);
  } finally {
    await core.close();
  }
}

const echo = (_fn: ClusterFunction, args: unknown): Promise<unknown> => Promise.resolve({ echo: args });

for (const dialect of DIALECTS) {
  describe(`invoke (${dialect})`, () => {
    test('without Workers a known function is 503 "No worker available"', () =>
      withFunction(
        dialect,
        echo,
        async (core, url) => {
          const res = await core.request('POST', url, {
            json: { args: { name: 'Ada' } },
            token: core.guestToken,
          });
          assert.equal(res.status, 503);
          assert.deepEqual(res.json, { errors: { detail: 'No worker available' } });
        },
        true,
      ));

    test('the result comes back as {"data": result}; the cluster gets function, args and time limit', () =>
      withFunction(dialect, echo, async (core, url, cluster) => {
        const res = await core.request('POST', url, { json: { args: { name: 'Ada' } } });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: { echo: { name: 'Ada' } } });
        const call = cluster.invocations[0];
        assert.equal(call?.fn.name, 'hello');
        assert.equal(call?.fn.tag, 't1');
        assert.equal(call?.fn.capacityMiB, 16);
        assert.match(call?.fn.hash ?? '', /^[0-9a-f]{64}$/);
        assert.equal(call?.options?.timeoutMs, 60_000);
        assert.equal(call?.options?.policy, undefined, 'no scheduling: the cluster uses its default');
      }));

    test('no body, an empty body and {} all invoke with args {}', () =>
      withFunction(dialect, echo, async (core, url) => {
        for (const options of [
          {},
          { body: '', headers: { 'content-type': 'application/json' } },
          { json: {} },
        ]) {
          const res = await core.request('POST', url, options);
          assert.equal(res.status, 200, res.body);
          assert.deepEqual(res.json, { data: { echo: {} } });
        }
      }));

    test('the APP script an invocation names is read once, then from the cache, and its policy handed to the cluster', () => {
      return withFunction(
        dialect,
        echo,
        async (core, url, cluster) => {
          const script = await core.request('POST', '/v1/scripts/app', {
            json: { name: 'pin_b', script: '- default:\n    - workers: [b]\n  followup: fail\n' },
          });
          assert.equal(script.status, 201, script.body);
          assert.ok(core.store instanceof CachedStore);
          const loadsBefore = core.store.counters.loads.app_scripts;
          const heardBefore = core.store.counters.notifications;
          for (let i = 1; i <= 3; i++) {
            const res = await core.request('POST', url, {
              json: { args: {}, scheduling: { language: 'app', script: 'pin_b' } },
            });
            assert.equal(res.status, 200, res.body);
          }
          // On PostgreSQL a Core also hears the changes it made itself (this test's module, function
          // and script), and each one it hears empties the cache again: only those may cost a read.
          const reads = core.store.counters.loads.app_scripts - loadsBefore;
          const heard = core.store.counters.notifications - heardBefore;
          assert.ok(
            reads >= 1 && reads <= 1 + heard,
            `the script is read from the database once, then from the cache (${reads} reads, ${heard} changes heard)`,
          );
          const workers = [worker('a', { free: 900 }), worker('b', { free: 100 })];
          const fn = { tag: 't1', capacityMiB: 16 };
          const policy = cluster.invocations[0]?.options?.policy;
          assert.ok(policy, 'the cluster is handed a policy');
          assert.deepEqual(policy(workers, fn), { ok: true, worker: 'b' }, 'the script decides');
          assert.deepEqual(defaultPolicy(workers, fn), { ok: true, worker: 'a' }, 'the default would not');
        },
        false,
      );
    });

    test('language "none" means the default policy', () =>
      withFunction(dialect, echo, async (core, url, cluster) => {
        const res = await core.request('POST', url, { json: { args: {}, scheduling: { language: 'none' } } });
        assert.equal(res.status, 200, res.body);
        assert.equal(cluster.invocations[0]?.options?.policy, defaultPolicy);
      }));

    test('an unknown APP script is 404 and nothing runs', () =>
      withFunction(dialect, echo, async (core, url, cluster) => {
        const res = await core.request('POST', url, {
          json: { args: {}, scheduling: { language: 'app', script: 'nope' } },
        });
        assert.equal(res.status, 404);
        assert.match(res.json.errors.detail, /APP script nope not found/);
        assert.equal(cluster.invocations.length, 0);
      }));

    for (const [label, json, message] of [
      ['args that are not an object', { args: [1] }, /args must be a JSON object/],
      ['an unknown field', { arguments: {} }, /unknown field "arguments"/],
      [
        'an unknown scheduling language',
        { scheduling: { language: 'rego' } },
        /unknown scheduling language "rego": use one of "none", "app"/,
      ],
      [
        'a scheduling language that is not a string',
        { scheduling: { language: 1 } },
        /scheduling\.language must be a string, one of "none", "app"/,
      ],
      [
        'a script with language none',
        { scheduling: { language: 'none', script: 'x' } },
        /scheduling\.script needs scheduling\.language "app"/,
      ],
      ['language app without a script', { scheduling: { language: 'app' } }, /script/],
      [
        'a bad script name',
        { scheduling: { language: 'app', script: '../x' } },
        /scheduling\.script "..\/x" is invalid/,
      ],
      ['a non-object body', 'hello', /the body must be a JSON object/],
    ] as const) {
      test(`${label} is 400`, () =>
        withFunction(dialect, echo, async (core, url, cluster) => {
          const res = await core.request('POST', url, { json });
          assert.equal(res.status, 400);
          assert.match(res.json.errors.detail, message);
          assert.equal(cluster.invocations.length, 0);
        }));
    }

    test('malformed JSON is 400 and multipart is 415', () =>
      withFunction(dialect, echo, async (core, url) => {
        const bad = await core.request('POST', url, {
          body: '{"args":',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(bad.status, 400);
        assert.match(bad.json.errors.detail, /^malformed JSON body/);
        const multipart = await core.request('POST', url, { form: { args: '{}' } });
        assert.equal(multipart.status, 415);
      }));

    test('unknown function or module is 404 and never reaches the cluster', () =>
      withFunction(dialect, echo, async (core, url, cluster) => {
        const module = url.split('/')[3];
        const noFn = await core.request('POST', `/v1/fn/${module}/nope`, { json: {} });
        assert.equal(noFn.status, 404);
        assert.equal(noFn.json.errors.detail, `function ${module}/nope not found`);
        const noMod = await core.request('POST', '/v1/fn/nomod_q/hello', { json: {} });
        assert.equal(noMod.status, 404);
        assert.equal(noMod.json.errors.detail, 'module nomod_q not found');
        assert.equal(cluster.invocations.length, 0);
      }));

    const mapped: [ErrorCodeType, number, string][] = [
      [ErrorCode.GuestError, 422, 'Error: name missing'],
      [ErrorCode.Trap, 422, 'Error: name missing'],
      [ErrorCode.MemoryLimit, 422, 'Error: name missing'],
      [ErrorCode.NoResult, 422, 'Error: name missing'],
      [ErrorCode.ResultNotJson, 422, 'Error: name missing'],
      [ErrorCode.BadReturnCode, 422, 'Error: name missing'],
      [ErrorCode.NotFound, 404, 'name missing'],
      [ErrorCode.NoWorker, 503, 'name missing'],
      [ErrorCode.WorkerLost, 503, 'name missing'],
      [ErrorCode.Overloaded, 503, 'name missing'],
      [ErrorCode.Timeout, 504, 'name missing'],
      [ErrorCode.ChainTooDeep, 508, 'name missing'],
    ];
    for (const [code, status, detail] of mapped) {
      test(`a ${code} failure is ${status} with detail "${detail}"`, () =>
        withFunction(
          dialect,
          () => Promise.reject(new FlError(code, 'name missing')),
          async (core, url) => {
            const res = await core.request('POST', url, { json: { args: {} } });
            assert.equal(res.status, status);
            assert.deepEqual(res.json, { errors: { detail } });
          },
        ));
    }

    test('X-Fl-Chain-Depth reaches the cluster; over maxChainDepth it is 508 before anything is looked up; malformed, 400', async () => {
      const cluster = new RecordingCluster(echo);
      const core = await createTestCore(dialect, { cluster, core: { maxChainDepth: 2 } });
      try {
        const module = uniqueName('mod');
        await core.request('POST', '/v1/fn', { json: { module: { name: module } } });
        await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'hello', code: await watFixture('hello') },
        });
        const url = `/v1/fn/${module}/hello`;
        const depth = (value: string, to = url) =>
          core.request('POST', to, { json: {}, headers: { 'x-fl-chain-depth': value } });
        assert.equal((await core.request('POST', url, { json: {} })).status, 200);
        assert.equal((await depth('2')).status, 200);
        assert.deepEqual(
          cluster.invocations.map((i) => i.options?.chainDepth),
          [0, 2],
        );
        const deep = await depth('3', `/v1/fn/${module}/no_such_function`);
        assert.equal(deep.status, 508);
        assert.match(
          deep.json.errors.detail,
          /at depth 3 .* deeper than the 2 this Core allows \(FL_MAX_CHAIN_DEPTH\)/,
        );
        for (const bad of ['-1', '1.5', 'two', '1, 2']) {
          const res = await depth(bad);
          assert.equal(res.status, 400, bad);
          assert.match(res.json.errors.detail, /X-Fl-Chain-Depth must be one non-negative integer/);
        }
        assert.equal(cluster.invocations.length, 2);
      } finally {
        await core.close();
      }
    });

    test('an unexpected cluster failure is a 500 that shows no internals', () =>
      withFunction(
        dialect,
        () => Promise.reject(new Error('secret stack detail')),
        async (core, url) => {
          const res = await core.request('POST', url, { json: {} });
          assert.equal(res.status, 500);
          assert.doesNotMatch(res.body, /secret/);
        },
      ));

    test('the function cache follows updates, renames and deletes', () =>
      withFunction(dialect, echo, async (core, url, cluster) => {
        const module = url.split('/')[3] ?? '';
        await core.request('POST', url, { json: {} });
        await core.request('PUT', url, { form: { metadata: '{"capacity":32}' } });
        await core.request('POST', url, { json: {} });
        assert.deepEqual(
          cluster.invocations.map((i) => i.fn.capacityMiB),
          [16, 32],
        );
        await core.request('PUT', url, { form: { name: 'renamed' } });
        assert.equal((await core.request('POST', url, { json: {} })).status, 404);
        assert.equal((await core.request('POST', `/v1/fn/${module}/renamed`, { json: {} })).status, 200);
        const newModule = uniqueName('mod');
        await core.request('PUT', `/v1/fn/${module}`, { json: { module: { name: newModule } } });
        assert.equal((await core.request('POST', `/v1/fn/${module}/renamed`, { json: {} })).status, 404);
        assert.equal((await core.request('POST', `/v1/fn/${newModule}/renamed`, { json: {} })).status, 200);
        await core.request('DELETE', `/v1/fn/${newModule}`);
        assert.equal((await core.request('POST', `/v1/fn/${newModule}/renamed`, { json: {} })).status, 404);
      }));

    test('invoke needs a token', () =>
      withFunction(dialect, echo, async (core, url) => {
        assert.equal((await core.request('POST', url, { json: {}, token: null })).status, 401);
      }));
  });
}
