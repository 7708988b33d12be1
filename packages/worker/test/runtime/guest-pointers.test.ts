import assert from 'node:assert/strict';
import { test } from 'node:test';

import { wat } from '@funless/testing';

import { rejectsWith, storeAndInvoke, withRuntime } from './helpers.js';

// One page of memory: 65,536 bytes. -16 is 0xfffffff0, far past its end.
const WASI_ERRORS = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "[00,00,00,00,00]")
  (func $put (param $at i32) (param $n i32)
    (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.div_u (local.get $n) (i32.const 10))))
    (i32.store8 (i32.add (local.get $at) (i32.const 1))
      (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))
  (func (export "__invoke") (param i32) (result i32)
    ;; a range that starts inside memory and ends past it
    (call $put (i32.const 101) (call $random_get (i32.const 65530) (i32.const 16)))
    ;; a pointer past the end of memory (negative as a JavaScript number)
    (call $put (i32.const 104) (call $clock (i32.const 0) (i64.const 1) (i32.const -16)))
    ;; an iovec array that runs past the end of memory
    (call $put (i32.const 107) (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 0)))
    ;; more iovecs than IOV_MAX (1024)
    (call $put (i32.const 110) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1025) (i32.const 0)))
    ;; and a count that is negative as a JavaScript number
    (call $put (i32.const 113) (call $fd_write (i32.const 1) (i32.const 0) (i32.const -1) (i32.const 0)))
    (call $response (i32.const 100) (i32.const 16))
    (i32.const 0)))`;

test('WASI calls given ranges outside memory answer EFAULT (21); too many iovecs, EINVAL (28)', () =>
  withRuntime({ threads: 1 }, async (runtime) => {
    const out = await storeAndInvoke(runtime, await wat(WASI_ERRORS), {});
    assert.deepEqual(out.result, [21, 21, 21, 28, 28]);
  }));

test('an fl_imps call given a range outside memory is a trap that names the call and the range', () =>
  withRuntime({ threads: 1 }, async (runtime) => {
    const code = await wat(`(module
      (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
      (memory (export "memory") 1)
      (func (export "__invoke") (param i32) (result i32)
        (call $response (i32.const -16) (i32.const 4))
        (i32.const 0)))`);
    await rejectsWith(
      storeAndInvoke(runtime, code, {}),
      'trap',
      /^memory access out of bounds: __insert_response \(4294967280\+4\)$/,
    );
  }));
