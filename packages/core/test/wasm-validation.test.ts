import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ErrorCode, FunctionShape } from '@funless/protocol';
import { wat, watFixture } from '@funless/testing';

import { readModuleInfo, validateFunctionBinary } from '../src/wasm/index.js';

async function rejects(code: Uint8Array, capacity: number, message: RegExp): Promise<void> {
  await assert.rejects(validateFunctionBinary(code, capacity), (error: Error & { code?: string }) => {
    assert.equal(error.code, ErrorCode.InvalidModule);
    assert.match(error.message, message);
    return true;
  });
}

const WASI_COMMAND = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))`;

test('the hello fixture is a FunLess-ABI function', async () => {
  const info = await validateFunctionBinary(await watFixture('hello'), 64);
  assert.equal(info.shape, FunctionShape.FunLess);
  assert.equal(info.minMemoryBytes, 65_536);
});

test('a module exporting _start is a WASI command', async () => {
  const info = await validateFunctionBinary(await wat(WASI_COMMAND), 1);
  assert.equal(info.shape, FunctionShape.WasiCommand);
});

test('a WASI command without memory is accepted with a zero minimum', async () => {
  const info = await validateFunctionBinary(await wat('(module (func (export "_start")))'), 1);
  assert.equal(info.minMemoryBytes, 0);
});

test('empty code is refused', async () => {
  await rejects(new Uint8Array(), 64, /code is empty/);
});

test('a text file is refused as not a WebAssembly binary', async () => {
  await rejects(Buffer.from('console.log("hello")\n'), 64, /not a WebAssembly binary/);
});

test('a truncated binary is refused as invalid', async () => {
  const code = await watFixture('hello');
  await rejects(code.subarray(0, code.byteLength - 10), 64, /not a valid WebAssembly module/);
});

test('an import from an unknown module names it', async () => {
  const code = await wat(`(module (import "env" "foo" (func)) (memory (export "memory") 1)
    (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`);
  await rejects(code, 64, /imports env\.foo, which the platform does not provide/);
});

test('an unknown fl_imps function is refused', async () => {
  const code = await wat(`(module (import "fl_imps" "__launch_missiles" (func (param i32)))
    (memory (export "memory") 1) (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`);
  await rejects(code, 64, /imports fl_imps\.__launch_missiles, which the platform does not provide/);
});

test('an fl_imps function with the wrong parameter count is refused', async () => {
  const code = await wat(`(module (import "fl_imps" "__insert_response" (func (param i32)))
    (memory (export "memory") 1) (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`);
  await rejects(
    code,
    64,
    /__insert_response as \(i32\) -> \(\), but the platform provides it as \(i32, i32\) -> \(\)/,
  );
});

test('a name that is not WASI preview1 is refused', async () => {
  const code = await wat(`(module (import "wasi_snapshot_preview1" "sock_open" (func))
    (func (export "_start")))`);
  await rejects(code, 64, /wasi_snapshot_preview1\.sock_open, which is not a WASI preview1 function/);
});

test('an imported memory is refused', async () => {
  const code = await wat(`(module (import "fl_imps" "mem" (memory 1)) (func (export "_start")))`);
  await rejects(code, 64, /imports memory fl_imps\.mem; only functions can be imported/);
});

test('a module with neither shape lists its exports', async () => {
  const code = await wat('(module (memory (export "memory") 1) (func (export "main")))');
  await rejects(code, 64, /exports neither __invoke .* nor _start.*its exports are: memory, main/);
});

test('__invoke without an exported memory is refused', async () => {
  const code = await wat(
    '(module (memory 1) (func (export "__invoke") (param i32) (result i32) (i32.const 0)))',
  );
  await rejects(code, 64, /exports __invoke but no memory named "memory"/);
});

test('__invoke with the wrong signature is refused', async () => {
  const code = await wat('(module (memory (export "memory") 1) (func (export "__invoke") (param i64)))');
  await rejects(
    code,
    64,
    /exports __invoke as \(i64\) -> \(\), but it must be a function \(i32\) -> \(i32\)/,
  );
});

test('a minimum memory larger than the capacity is refused with both figures', async () => {
  // 32 pages = 2 MiB > 1 MiB
  const code = await wat('(module (memory (export "memory") 32) (func (export "_start")))');
  await rejects(code, 1, /minimum memory of 2 MiB \(32 pages of 64 KiB\), more than its capacity of 1 MiB/);
  await validateFunctionBinary(code, 2);
});

test('readModuleInfo reads imports, exports and memory limits', async () => {
  const info = readModuleInfo(await wat(WASI_COMMAND));
  assert.deepEqual(
    info.imports.map((i) => [i.module, i.name, i.kind, i.type?.params.length]),
    [['wasi_snapshot_preview1', 'fd_write', 'function', 4]],
  );
  assert.deepEqual(
    info.exports.map((e) => [e.name, e.kind]),
    [
      ['memory', 'memory'],
      ['_start', 'function'],
    ],
  );
  assert.deepEqual(info.memories, [{ minPages: 1, maxPages: undefined, memory64: false }]);
});
