import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';

import {
  DEFAULT_EXTRA_THREADS,
  DEFAULT_RUNTIME_OPTIONS,
  resolveRuntimeOptions,
  Runtime,
  runtimeOptionsFromEnv,
} from '../../src/index.js';
import { rejectsWith, run } from './helpers.js';

test('options are merged over the defaults', () => {
  const resolved = resolveRuntimeOptions({ dataDir: '/tmp/x', http: { allowList: [' API.example.com '] } });
  assert.equal(resolved.threads, availableParallelism());
  assert.equal(resolved.defaultTimeoutMs, 60_000);
  assert.equal(resolved.queueLimit, DEFAULT_RUNTIME_OPTIONS.queueLimit);
  assert.equal(resolved.maxThreads, resolved.threads + DEFAULT_EXTRA_THREADS);
  assert.equal(resolveRuntimeOptions({ dataDir: '/x', threads: 2 }).maxThreads, 2 + DEFAULT_EXTRA_THREADS);
  assert.deepEqual(resolved.http, { ...DEFAULT_RUNTIME_OPTIONS.http, allowList: ['api.example.com'] });
});

test('bad options are refused with a message naming the option', () => {
  const cases: [object, RegExp][] = [
    [{}, /dataDir/],
    [{ dataDir: '/x', threads: 0 }, /threads/],
    [{ dataDir: '/x', threads: 1.5 }, /threads/],
    [{ dataDir: '/x', defaultTimeoutMs: -1 }, /defaultTimeoutMs/],
    [{ dataDir: '/x', maxInputBytes: '10' }, /maxInputBytes/],
    [{ dataDir: '/x', http: { enabled: 'yes' } }, /http.enabled/],
    [{ dataDir: '/x', http: { allowList: 'a.com' } }, /http.allowList/],
    [{ dataDir: '/x', http: { timeoutMs: 0 } }, /http.timeoutMs/],
    [{ dataDir: '/x', idleSpinUs: -1 }, /idleSpinUs/],
    [{ dataDir: '/x', idleSpinUs: 10_001 }, /idleSpinUs/],
    [{ dataDir: '/x', idleSpinUs: 2.5 }, /idleSpinUs/],
    [{ dataDir: '/x', threads: 4, maxThreads: 3 }, /maxThreads \(3\) must be at least threads \(4\)/],
    [{ dataDir: '/x', maxThreads: 0 }, /maxThreads/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => resolveRuntimeOptions(options as never),
      (err: Error & { code: string }) => err.code === 'bad_request' && message.test(err.message),
      JSON.stringify(options),
    );
  }
});

test('the environment sets timeout, threads and HTTP settings', () => {
  assert.deepEqual(runtimeOptionsFromEnv({}), {});
  assert.deepEqual(
    runtimeOptionsFromEnv({
      FL_INVOKE_TIMEOUT_MS: '1500',
      FL_WORKER_THREADS: '3',
      FL_HTTP: 'off',
      FL_HTTP_ALLOW: 'a.com, *.b.org,,',
    }),
    { defaultTimeoutMs: 1500, threads: 3, http: { enabled: false, allowList: ['a.com', '*.b.org'] } },
  );
  assert.deepEqual(runtimeOptionsFromEnv({ FL_HTTP: 'ON' }), { http: { enabled: true } });
  const ranges = runtimeOptionsFromEnv({ FL_HTTP_ALLOW: '10.0.0.0/8, fd00::/8,localhost' });
  assert.deepEqual(ranges, { http: { allowList: ['10.0.0.0/8', 'fd00::/8', 'localhost'] } });
  assert.deepEqual(resolveRuntimeOptions({ dataDir: '/x', ...ranges }).http.allowList, [
    '10.0.0.0/8',
    'fd00::/8',
    'localhost',
  ]);
  assert.throws(
    () =>
      resolveRuntimeOptions({ dataDir: '/x', ...runtimeOptionsFromEnv({ FL_HTTP_ALLOW: '10.0.0.0/40' }) }),
    /http\.allowList: "10\.0\.0\.0\/40" is not a CIDR range/,
  );
  assert.deepEqual(runtimeOptionsFromEnv({ FL_DATA_DIR: '/var/lib/fl' }), { dataDir: '/var/lib/fl' });
  assert.throws(() => runtimeOptionsFromEnv({ FL_INVOKE_TIMEOUT_MS: '10s' }), /FL_INVOKE_TIMEOUT_MS/);
  assert.throws(() => runtimeOptionsFromEnv({ FL_WORKER_THREADS: '0' }), /FL_WORKER_THREADS/);
  assert.deepEqual(runtimeOptionsFromEnv({ FL_WORKER_MAX_THREADS: '40' }), { maxThreads: 40 });
  assert.throws(() => runtimeOptionsFromEnv({ FL_WORKER_MAX_THREADS: 'many' }), /FL_WORKER_MAX_THREADS/);
  assert.throws(() => runtimeOptionsFromEnv({ FL_HTTP: 'maybe' }), /FL_HTTP/);
  assert.deepEqual(runtimeOptionsFromEnv({ FL_WORKER_IDLE_SPIN_US: '0' }), { idleSpinUs: 0 });
  assert.deepEqual(runtimeOptionsFromEnv({ FL_WORKER_IDLE_SPIN_US: ' 80 ' }), { idleSpinUs: 80 });
  assert.throws(() => runtimeOptionsFromEnv({ FL_WORKER_IDLE_SPIN_US: '-5' }), /FL_WORKER_IDLE_SPIN_US/);
  assert.throws(() => runtimeOptionsFromEnv({ FL_WORKER_IDLE_SPIN_US: '20000' }), /FL_WORKER_IDLE_SPIN_US/);
  assert.equal(resolveRuntimeOptions({ dataDir: '/x' }).idleSpinUs, 50);
  assert.deepEqual(runtimeOptionsFromEnv({ FL_WORKER_THREAD_IDLE_MS: '0' }), { threadIdleMs: 0 });
  assert.deepEqual(runtimeOptionsFromEnv({ FL_WORKER_THREAD_IDLE_MS: '5000' }), { threadIdleMs: 5000 });
  assert.throws(() => runtimeOptionsFromEnv({ FL_WORKER_THREAD_IDLE_MS: '1m' }), /FL_WORKER_THREAD_IDLE_MS/);
  assert.equal(resolveRuntimeOptions({ dataDir: '/x' }).threadIdleMs, 60_000);
  assert.throws(() => resolveRuntimeOptions({ dataDir: '/x', threadIdleMs: -1 }), /threadIdleMs/);
});

test('invoke refuses bad requests with bad_request naming the field', async () => {
  const runtime = await Runtime.create({ dataDir: '/tmp/fl-runtime-options-test', threads: 1 });
  try {
    const ref = { module: 'm', name: 'f', hash: 'a'.repeat(64) };
    await rejectsWith(run(runtime, { ...ref, capacityMiB: 0, input: {} }), 'bad_request', /capacityMiB/);
    await rejectsWith(run(runtime, { ...ref, capacityMiB: 5000, input: {} }), 'bad_request', /capacityMiB/);
    await rejectsWith(
      run(runtime, { ...ref, capacityMiB: 64, input: {}, timeoutMs: 0 }),
      'bad_request',
      /timeoutMs/,
    );
    await rejectsWith(
      run(runtime, { ...ref, module: 'a-b', capacityMiB: 64, input: {} }),
      'bad_request',
      /module/,
    );
    await rejectsWith(
      runtime.invoke({ ...ref, capacityMiB: 64, input: '{}' as unknown as Uint8Array }),
      'bad_request',
      /input must be the JSON bytes/,
    );
  } finally {
    await runtime.close();
  }
  await rejectsWith(
    run(runtime, { module: 'm', name: 'f', hash: 'a'.repeat(64), capacityMiB: 64, input: {} }),
    'internal',
    /closed/,
  );
});
