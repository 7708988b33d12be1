import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  mayWriteTables,
  readModule,
  runtimeGlobalExport,
  runtimeMemoryExport,
  runtimeTableExport,
} from '@funless/protocol';
import { wat } from '@funless/testing';

import { rewriteWasm } from '../../src/runtime/module/wasm-binary.js';

test('the rewrite sets the memory maximum and adds snapshot exports, keeping the module valid', async () => {
  const code = await wat(`(module
    (memory 2)
    (global $g (mut i32) (i32.const 5))
    (global $c i32 (i32.const 1))
    (global $h (mut i64) (i64.const 7))
    (table 3 funcref)
    (func (export "_start")))`);
  const info = readModule(code);
  assert.deepEqual(info.memories, [{ flags: 0, min: 2, max: undefined, imported: false }]);
  assert.deepEqual(
    info.mutableGlobals.map((g) => g.index),
    [0, 2],
  );
  const out = rewriteWasm(code, info, 16);
  const module = new WebAssembly.Module(out);
  const names = WebAssembly.Module.exports(module)
    .map((e) => e.name)
    .sort();
  assert.deepEqual(
    names,
    [
      '_start',
      runtimeGlobalExport(0),
      runtimeGlobalExport(2),
      runtimeMemoryExport,
      runtimeTableExport(0),
    ].sort(),
  );
  const instance = new WebAssembly.Instance(module);
  const memory = instance.exports[runtimeMemoryExport] as WebAssembly.Memory;
  assert.equal(memory.grow(14), 2);
  assert.throws(() => memory.grow(1), RangeError);
  assert.equal((instance.exports[runtimeGlobalExport(2)] as WebAssembly.Global).value, 7n);
});

test('a declared maximum lower than the capacity is kept', async () => {
  const code = await wat(`(module (memory 1 3) (export "memory" (memory 0)) (func (export "_start")))`);
  const out = rewriteWasm(code, readModule(code), 100);
  assert.deepEqual(readModule(out).memories, [{ flags: 1, min: 1, max: 3, imported: false }]);
});

test('passive data and element segments are detected', async () => {
  const data = await wat(`(module (memory 1) (data "x") (func (export "_start")))`);
  assert.equal(readModule(data).hasPassiveSegments, true);
  const elem = await wat(
    `(module (memory 1) (table 1 funcref) (func $f) (elem func $f) (func (export "_start")))`,
  );
  assert.equal(readModule(elem).hasPassiveSegments, true);
  const active = await wat(
    `(module (memory 1) (table 1 funcref) (func $f) (elem (i32.const 0) $f) (data (i32.const 0) "x") (func (export "_start")))`,
  );
  assert.equal(readModule(active).hasPassiveSegments, false);
});

test('the code scan finds table writes and clears modules without them', async () => {
  const cases: [string, boolean][] = [
    ['(table.set (i32.const 0) (ref.null func))', true],
    ['(drop (table.grow (ref.null func) (i32.const 1)))', true],
    ['(table.fill (i32.const 0) (ref.null func) (i32.const 1))', true],
    ['(table.copy (i32.const 0) (i32.const 0) (i32.const 0))', true],
    // 0x26 (the table.set opcode) as an immediate must not count.
    ['(drop (i32.add (i32.const 38) (i32.load offset=38 (i32.const 0))))', false],
    ['(if (i32.const 1) (then (drop (call_indirect (result i32) (i32.const 0)))))', false],
  ];
  for (const [body, mutable] of cases) {
    const code =
      await wat(`(module (memory 1) (table 1 funcref) (func $f (result i32) (i32.const 1)) (elem (i32.const 0) $f)
      (func (export "_start") ${body}))`);
    assert.equal(mayWriteTables(code, readModule(code)), mutable, body);
  }
});
