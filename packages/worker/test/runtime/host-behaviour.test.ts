import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asFixture, wat } from '@funless/testing';

import { fn, rejectsWith, storeAndInvoke, withRuntime, run } from './helpers.js';

test('logs are bounded per invocation (each line its text and 5 bytes) and the cut is marked', async () => {
  // 'first line' takes 10 + 5 bytes of the 20: the next line does not fit, nor any after it.
  await withRuntime({ threads: 1, maxLogBytes: 20 }, async (runtime) => {
    const out = await storeAndInvoke(runtime, await asFixture('console-log'), {});
    assert.deepEqual(out.logs, [{ stream: 'console', text: 'first line' }]);
    assert.equal(out.logsTruncated, true);
  });
});

test('a FunLess-ABI module built as a WASI command is initialised by _start once, before __invoke', async () => {
  // _start stores 7 at address 0 and exits with proc_exit(0); __invoke answers that byte + 1 per call.
  const code = await wat(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 1)
    (func (export "_start") (i32.store8 (i32.const 0) (i32.const 55)) (call $exit (i32.const 0)))
    (func (export "__invoke") (param i32) (result i32)
      (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1)))
      (call $r (i32.const 0) (i32.const 1))
      (i32.const 0)))`);
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    for (let i = 0; i < 3; i++)
      assert.equal((await run(runtime, { ...f, capacityMiB: 64, input: {} })).result, 8);
  });
});

test('proc_exit from __invoke ends the invocation only: non-zero is a guest error, zero keeps the result', async () => {
  const code = await wat(`(module
    (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
    (import "fl_imps" "__get_input_data" (func $in (param i32)))
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 1)
    (data (i32.const 100) "true")
    (func (export "__invoke") (param i32) (result i32)
      (call $in (i32.const 0))
      (call $r (i32.const 100) (i32.const 4))
      ;; input "3" exits with 3, input "0" exits with 0
      (call $exit (i32.sub (i32.load8_u (i32.const 0)) (i32.const 48)))
      (i32.const 0)))`);
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    await rejectsWith(run(runtime, { ...f, capacityMiB: 64, input: 3 }), 'guest_error', /exited with code 3/);
    assert.equal((await run(runtime, { ...f, capacityMiB: 64, input: 0 })).result, true);
    await rejectsWith(run(runtime, { ...f, capacityMiB: 64, input: 3 }), 'guest_error');
  });
});

test('inputs and results beyond the shared data area take the message path and arrive intact', async () => {
  // Answers its input as is.
  const code = await wat(`(module
    (import "fl_imps" "__get_input_data" (func $in (param i32)))
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 16)
    (func (export "__invoke") (param $len i32) (result i32)
      (call $in (i32.const 0)) (call $r (i32.const 0) (local.get $len)) (i32.const 0)))`);
  await withRuntime({ threads: 1 }, async (runtime) => {
    const f = fn(code);
    await runtime.store(f);
    for (const size of [10, 100_000, 300_000, 10]) {
      const input = { text: 'é'.repeat(size) };
      assert.deepEqual((await run(runtime, { ...f, capacityMiB: 64, input })).result, input);
    }
  });
});
