import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asFixture, eventually, wat, watFixture } from '@funless/testing';

import { fn, rejectsWith, run, threadLoad, withRuntime } from './helpers.js';

test('a looping guest is stopped at its time limit while another thread completes work meanwhile', async () => {
  await withRuntime({ threads: 2 }, async (runtime) => {
    const loop = fn(await watFixture('infinite-loop'));
    const hello = fn(await watFixture('hello'));
    await runtime.store(loop);
    await runtime.store(hello);
    const started = Date.now();
    let loopStopped = false;
    const looping = rejectsWith(
      run(runtime, { ...loop, capacityMiB: 64, input: {}, timeoutMs: 1000 }),
      'timeout',
      /1000 ms/,
    ).finally(() => (loopStopped = true));
    // The other thread keeps serving while the first one spins: each of these completes before the
    // loop is stopped (a count of completions, not a rate: the limit leaves ample room for them).
    for (let i = 0; i < 5; i++) {
      const out = await run(runtime, { ...hello, capacityMiB: 64, input: { name: 'busy' } });
      assert.deepEqual(out.result, { payload: 'Hello busy!' });
      assert.equal(loopStopped, false, `invocation ${i + 1} completed only after the loop was stopped`);
    }
    await looping;
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 1000, `stopped after ${elapsed} ms, before its time limit`);
    // The stopped thread was replaced: both threads serve again, and the loop can be stopped again.
    assert.equal(runtime.stats().threads, 2);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => run(runtime, { ...hello, capacityMiB: 64, input: { name: 'again' } })),
    );
    assert.equal(results.length, 4);
    await rejectsWith(run(runtime, { ...loop, capacityMiB: 64, input: {}, timeoutMs: 100 }), 'timeout');
  });
});

test('the time limit starts when a thread takes the task, not when it is queued', async () => {
  await withRuntime({ threads: 1 }, async (runtime) => {
    const loop = fn(await watFixture('infinite-loop'));
    const hello = fn(await watFixture('hello'));
    await runtime.store(loop);
    await runtime.store(hello);
    const first = rejectsWith(
      run(runtime, { ...loop, capacityMiB: 64, input: {}, timeoutMs: 300 }),
      'timeout',
    );
    // Queued behind 300 ms of looping with a 200 ms limit of its own: it must still succeed.
    const queued = run(runtime, { ...hello, capacityMiB: 64, input: { name: 'patient' }, timeoutMs: 200 });
    await eventually(() => runtime.stats().queued === 1, 'one invocation queued');
    await first;
    assert.deepEqual((await queued).result, { payload: 'Hello patient!' });
  });
});

test('the default time limit comes from the options', async () => {
  await withRuntime({ threads: 1, defaultTimeoutMs: 150 }, async (runtime) => {
    const loop = fn(await watFixture('infinite-loop'));
    await runtime.store(loop);
    await rejectsWith(run(runtime, { ...loop, capacityMiB: 64, input: {} }), 'timeout', /150 ms/);
  });
});

test('a memory bomb is stopped at its capacity with memory_limit, and the memory cap follows the capacity', async () => {
  await withRuntime({ threads: 1 }, async (runtime) => {
    const bomb = fn(await asFixture('memory-bomb'));
    await runtime.store(bomb);
    await rejectsWith(run(runtime, { ...bomb, capacityMiB: 16, input: {} }), 'memory_limit', /16 MiB/);
    await rejectsWith(run(runtime, { ...bomb, capacityMiB: 64, input: {} }), 'memory_limit', /64 MiB/);
  });
});

test('memory.grow past the capacity returns -1 to the guest', async () => {
  // Grows by one page at a time and answers how many pages it reached.
  const code = await wat(`(module
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 1)
    (func (export "__invoke") (param i32) (result i32)
      (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
      (i32.store8 (i32.const 0) (i32.add (i32.const 48) (i32.div_u (memory.size) (i32.const 16))))
      (call $r (i32.const 0) (i32.const 1))
      (i32.const 0)))`);
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    // 2 MiB = 32 pages: the answer is 32/16 = 2; at 4 MiB it is 4.
    assert.equal((await run(runtime, { ...f, capacityMiB: 2, input: {} })).result, 2);
    assert.equal((await run(runtime, { ...f, capacityMiB: 4, input: {} })).result, 4);
  });
});

test('a module that starts with more memory than its capacity fails with memory_limit', async () => {
  const code = await wat(
    `(module (memory (export "memory") 40) (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`,
  );
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    await rejectsWith(run(runtime, { ...f, capacityMiB: 1, input: {} }), 'memory_limit', /capacity of 1 MiB/);
  });
});

test('the queue is bounded: beyond queueLimit invocations fail with overloaded', async () => {
  await withRuntime({ threads: 1, queueLimit: 2 }, async (runtime) => {
    const loop = fn(await watFixture('infinite-loop'));
    await runtime.store(loop);
    const call = () => run(runtime, { ...loop, capacityMiB: 64, input: {}, timeoutMs: 100 });
    const running = [call(), call(), call()];
    await eventually(() => runtime.stats().queued === 2, 'two invocations queued');
    assert.deepEqual(threadLoad(runtime), { threads: 1, busy: 1, queued: 2 });
    await rejectsWith(call(), 'overloaded', /overloaded/);
    for (const p of running) await rejectsWith(p, 'timeout');
    assert.deepEqual(threadLoad(runtime), { threads: 1, busy: 0, queued: 0 });
  });
});
