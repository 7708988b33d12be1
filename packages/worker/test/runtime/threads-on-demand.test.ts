import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';

import { eventually, watFixture } from '@funless/testing';

import { Runtime } from '../../src/index.js';
import { fn, tempDir, run, threadLoad, withRuntime } from './helpers.js';

test('a runtime with no functions holds no thread; storing one starts exactly one', async () => {
  await withRuntime({ threads: 3 }, async (runtime) => {
    assert.deepEqual(threadLoad(runtime), { threads: 0, busy: 0, queued: 0 });
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    await runtime.store(fn(await watFixture('hello')));
    await eventually(() => runtime.stats().threads === 1, 'one thread');
    await runtime.warm();
    assert.equal(runtime.stats().threads, 1);
  });
});

test('concurrent invocations start threads up to the limit and never more; they then stay', async () => {
  await withRuntime({ threads: 2 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    const calls = Array.from({ length: 6 }, (_, i) =>
      run(runtime, { ...hello, capacityMiB: 64, input: { name: `n${i}` } }),
    );
    assert.ok(runtime.stats().threads <= 2);
    const results = await Promise.all(calls);
    assert.deepEqual(
      results.map((r) => r.result),
      Array.from({ length: 6 }, (_, i) => ({ payload: `Hello n${i}!` })),
    );
    assert.equal(runtime.stats().threads, 2);
    await run(runtime, { ...hello, capacityMiB: 64, input: { name: 'again' } });
    assert.deepEqual(threadLoad(runtime), { threads: 2, busy: 0, queued: 0 });
  });
});

test('a single invocation on a cold runtime starts one thread, not the whole pool', async () => {
  await withRuntime({ threads: 4 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    const out = await run(runtime, { ...hello, capacityMiB: 64, input: { name: 'one' } });
    assert.deepEqual(out.result, { payload: 'Hello one!' });
    assert.equal(runtime.stats().threads, 1);
  });
});

test('a runtime reopened over cached functions has a thread ready before its first call', async () => {
  const dataDir = await tempDir();
  try {
    const hello = fn(await watFixture('hello'));
    const first = await Runtime.create({ dataDir, threads: 2 });
    await first.store(hello);
    await first.close();

    const emptyDir = await tempDir();
    const empty = await Runtime.create({ dataDir: emptyDir, threads: 2 });
    assert.equal(empty.stats().threads, 0);
    await empty.close();
    await rm(emptyDir, { recursive: true, force: true });

    const reopened = await Runtime.create({ dataDir, threads: 2 });
    try {
      assert.equal(reopened.stats().threads, 1);
      const out = await run(reopened, {
        module: hello.module,
        name: hello.name,
        hash: hello.hash,
        capacityMiB: 64,
        input: { name: 'back' },
      });
      assert.deepEqual(out.result, { payload: 'Hello back!' });
    } finally {
      await reopened.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('warm on a closed runtime is refused', async () => {
  const dataDir = await tempDir();
  const runtime = await Runtime.create({ dataDir, threads: 1 });
  await runtime.close();
  assert.throws(() => runtime.warm(), /closed/);
  await rm(dataDir, { recursive: true, force: true });
});

test('threads that poll between tasks still run each task once, in isolation, with limits', async () => {
  await withRuntime({ threads: 2, idleSpinUs: 500 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    const probe = fn(await watFixture('state-probe'));
    const loop = fn(await watFixture('infinite-loop'));
    for (const f of [hello, probe, loop]) await runtime.store(f);
    for (let i = 0; i < 50; i++) {
      const out = await run(runtime, { ...hello, capacityMiB: 64, input: { name: `s${i}` } });
      assert.deepEqual(out.result, { payload: `Hello s${i}!` });
    }
    const probes = await Promise.all(
      Array.from({ length: 20 }, () => run(runtime, { ...probe, capacityMiB: 64, input: {} })),
    );
    for (const p of probes) assert.deepEqual(p.result, { memory: 1, global: 1, pages: 1 });
    await assert.rejects(
      run(runtime, { ...loop, capacityMiB: 64, input: {}, timeoutMs: 100 }),
      (err: Error & { code: string }) => err.code === 'timeout',
    );
    const after = await run(runtime, { ...hello, capacityMiB: 64, input: { name: 'after' } });
    assert.deepEqual(after.result, { payload: 'Hello after!' });
  });
});

test('threads idle for threadIdleMs end, down to the last one; the pool grows again on demand', async (t) => {
  // The idle timers run on a mock clock the test moves: "the last one stays" is checked after ten
  // idle limits that certainly passed, not after a sleep that hopes they did.
  t.mock.timers.enable({ apis: ['setTimeout'] });
  await withRuntime({ threads: 3, threadIdleMs: 150 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    const burst = () =>
      Promise.all(
        Array.from({ length: 9 }, (_, i) =>
          run(runtime, { ...hello, capacityMiB: 64, input: { name: `b${i}` } }),
        ),
      );
    await burst();
    assert.ok(runtime.stats().threads >= 2, `only ${runtime.stats().threads} threads started`);
    // Each try moves the clock by one idle limit: a thread still finishing its start goes idle later.
    await eventually(() => {
      t.mock.timers.tick(150);
      return runtime.stats().threads === 1;
    }, 'the idle threads retired but one');
    // The last one stays, however long it idles.
    t.mock.timers.tick(1500);
    assert.equal(runtime.stats().threads, 1);
    const results = await burst();
    assert.equal(results.length, 9);
    assert.deepEqual(results[8]!.result, { payload: 'Hello b8!' });
    assert.ok(runtime.stats().threads >= 2);
  });
});

test('with threadIdleMs 0 threads never end', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] }); // as above: the test moves the clock
  await withRuntime({ threads: 2, threadIdleMs: 0 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    await Promise.all(
      Array.from({ length: 6 }, () => run(runtime, { ...hello, capacityMiB: 64, input: { name: 'x' } })),
    );
    assert.equal(runtime.stats().threads, 2);
    t.mock.timers.tick(600_000);
    assert.equal(runtime.stats().threads, 2);
  });
});
