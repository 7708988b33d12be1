import assert from 'node:assert/strict';
import { test } from 'node:test';

import { wat } from '@funless/testing';

import { storeAndInvoke, texts, withRuntime } from './helpers.js';

// Guest pointers are i32: above 2 GiB JavaScript receives them negative. Both modules grow their
// memory to 2 GiB + 1 MiB and make every host call with pointers above 2 GiB (HIGH = 2 GiB + 4 KiB).
const CAPACITY_MIB = 2100;
const GROW_PAST_2_GIB = '(if (i32.eq (memory.grow (i32.const 32784)) (i32.const -1)) (then (unreachable)))';

const FUNLESS = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "fl_imps" "__get_input_data" (func $input (param i32)))
  (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
  (import "fl_imps" "__insert_error" (func $error (param i32 i32)))
  (import "fl_imps" "__console_log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "random_get failed")
  (data (i32.const 32) "clock_time_get failed")
  (data (i32.const 64) "fd_write failed")
  (func $fail (param $msg i32) (param $len i32) (result i32)
    (call $error (local.get $msg) (local.get $len))
    (i32.const 1))
  (func (export "__invoke") (param $len i32) (result i32)
    ${GROW_PAST_2_GIB}
    (if (call $random_get (i32.const 0x80001100) (i32.const 16))
      (then (return (call $fail (i32.const 0) (i32.const 17)))))
    (if (call $clock (i32.const 0) (i64.const 1) (i32.const 0x80001200))
      (then (return (call $fail (i32.const 32) (i32.const 21)))))
    (if (i64.eqz (i64.load (i32.const 0x80001200)))
      (then (return (call $fail (i32.const 32) (i32.const 21)))))
    ;; "high" at HIGH + 0x300, logged through fl_imps and written to stdout (log lines) through WASI
    (i32.store (i32.const 0x80001300) (i32.const 0x68676968))
    (call $log (i32.const 0x80001300) (i32.const 4))
    (i32.store (i32.const 0x80001400) (i32.const 0x80001300))
    (i32.store (i32.const 0x80001404) (i32.const 4))
    (if (call $fd_write (i32.const 1) (i32.const 0x80001400) (i32.const 1) (i32.const 0x80001410))
      (then (return (call $fail (i32.const 64) (i32.const 15)))))
    (if (i32.ne (i32.load (i32.const 0x80001410)) (i32.const 4))
      (then (return (call $fail (i32.const 64) (i32.const 15)))))
    (call $input (i32.const 0x80002000))
    (call $response (i32.const 0x80002000) (local.get $len))
    (i32.const 0)))`;

const COMMAND = `(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory 1)
  (func (export "_start")
    ${GROW_PAST_2_GIB}
    ;; read stdin into HIGH + 0x1000 (iovec at HIGH), then write what was read to stdout
    (i32.store (i32.const 0x80001000) (i32.const 0x80002000))
    (i32.store (i32.const 0x80001004) (i32.const 4096))
    (if (call $fd_read (i32.const 0) (i32.const 0x80001000) (i32.const 1) (i32.const 0x80001010))
      (then (call $exit (i32.const 3))))
    (i32.store (i32.const 0x80001004) (i32.load (i32.const 0x80001010)))
    (if (call $fd_write (i32.const 1) (i32.const 0x80001000) (i32.const 1) (i32.const 0x80001010))
      (then (call $exit (i32.const 4))))))`;

test('WASI and fl_imps calls work with pointers above 2 GiB', () =>
  withRuntime({ threads: 1 }, async (runtime) => {
    const out = await storeAndInvoke(runtime, await wat(FUNLESS), { above: '2 GiB' }, CAPACITY_MIB);
    assert.deepEqual(out.result, { above: '2 GiB' });
    assert.deepEqual(texts(out.logs), ['high', 'high']);
  }));

test('a WASI command reads stdin into, and writes stdout from, memory above 2 GiB', () =>
  withRuntime({ threads: 1 }, async (runtime) => {
    const out = await storeAndInvoke(runtime, await wat(COMMAND), { echo: [1, 2, 3] }, CAPACITY_MIB);
    assert.deepEqual(out.result, { echo: [1, 2, 3] });
  }));
