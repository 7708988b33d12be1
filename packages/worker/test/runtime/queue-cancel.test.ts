// Dropping an invocation that waits in the queue: the pool's side of "did not start, so it did
// not run" (docs/runtime.md, "Threads").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ErrorCode, FlError } from '@funless/protocol';
import { eventually, watFixture } from '@funless/testing';

import { fn, rejectsWith, run, threadLoad, withRuntime } from './helpers.js';

test('a queued invocation whose signal aborts leaves the queue, never starts, and rejects with the reason', async () => {
  await withRuntime({ threads: 1 }, async (runtime) => {
    const loop = fn(await watFixture('infinite-loop'));
    const hello = fn(await watFixture('hello'));
    await runtime.store(loop);
    await runtime.store(hello);
    const started: string[] = [];
    const first = run(runtime, {
      ...loop,
      capacityMiB: 64,
      input: {},
      timeoutMs: 300,
      onStart: () => started.push('first'),
    });
    await eventually(() => started.length === 1, 'the first invocation started');
    const controller = new AbortController();
    const second = run(runtime, {
      ...loop,
      capacityMiB: 64,
      input: {},
      timeoutMs: 300,
      signal: controller.signal,
      onStart: () => started.push('second'),
    });
    await eventually(() => runtime.stats().queued === 1, 'the second invocation queued');
    controller.abort(new FlError(ErrorCode.Timeout, 'dropped by the test'));
    assert.equal(runtime.stats().queued, 0, 'the abort took it out of the queue at once');
    await rejectsWith(second, 'timeout', /dropped by the test/);
    await rejectsWith(first, 'timeout', /time limit of 300 ms/);
    // The thread that took the first is free again: the next task starts, and still not the second.
    const after = await run(runtime, { ...hello, capacityMiB: 64, input: { name: 'next' } });
    assert.deepEqual(after.result, { payload: 'Hello next!' });
    assert.deepEqual(started, ['first']);
    assert.deepEqual(threadLoad(runtime), { threads: 1, busy: 0, queued: 0 });
  });
});

test('an invocation whose signal aborted before it was asked for is refused without running', async () => {
  await withRuntime({ threads: 1 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    let started = false;
    const signal = AbortSignal.abort(new FlError(ErrorCode.Timeout, 'too late'));
    await rejectsWith(
      run(runtime, {
        ...hello,
        capacityMiB: 64,
        input: { name: 'x' },
        signal,
        onStart: () => (started = true),
      }),
      'timeout',
      /too late/,
    );
    assert.equal(started, false);
  });
});

test('once started, an invocation ignores its signal and runs to its end', async () => {
  await withRuntime({ threads: 1 }, async (runtime) => {
    const hello = fn(await watFixture('hello'));
    await runtime.store(hello);
    const controller = new AbortController();
    const out = await run(runtime, {
      ...hello,
      capacityMiB: 64,
      input: { name: 'kept' },
      signal: controller.signal,
      // Aborted at the very moment the thread takes it: too late to drop it.
      onStart: () => controller.abort(new FlError(ErrorCode.Timeout, 'too late')),
    });
    assert.equal(controller.signal.aborted, true);
    assert.deepEqual(out.result, { payload: 'Hello kept!' });
  });
});
