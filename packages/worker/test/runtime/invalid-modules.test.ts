import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { wat } from '@funless/testing';

import { codeHash, Runtime } from '../../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

describe('invalid modules are refused at store with invalid_module', () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await Runtime.create({ dataDir: await tempDir(), threads: 1 });
  });
  after(() => runtime.close());

  const store = (code: Uint8Array) => runtime.store({ module: 'm', name: 'bad', hash: codeHash(code), code });

  test('bytes that are not WebAssembly', async () => {
    await rejectsWith(store(new TextEncoder().encode('hello world')), 'invalid_module', /magic/);
  });

  test('a truncated module', async () => {
    const code = await wat(
      `(module (memory (export "memory") 1) (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`,
    );
    await rejectsWith(store(code.subarray(0, code.length - 5)), 'invalid_module');
  });

  test('a module with neither __invoke nor _start', async () => {
    await rejectsWith(
      store(await wat(`(module (memory 1) (func (export "main")))`)),
      'invalid_module',
      /neither __invoke/,
    );
  });

  test('a FunLess module that does not export memory', async () => {
    const code = await wat(
      `(module (memory 1) (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`,
    );
    await rejectsWith(store(code), 'invalid_module', /export its memory/);
  });

  test('imports from an unknown module', async () => {
    const code = await wat(
      `(module (import "env" "abort" (func)) (memory (export "memory") 1) (func (export "_start")))`,
    );
    await rejectsWith(store(code), 'invalid_module', /env\.abort.*unknown module/);
  });

  test('an fl_imps import that is not in the ABI, or has the wrong signature', async () => {
    const unknown = await wat(
      `(module (import "fl_imps" "__steal" (func)) (memory (export "memory") 1) (func (export "_start")))`,
    );
    await rejectsWith(store(unknown), 'invalid_module', /__steal is not part of the FunLess ABI/);
    const wrong = await wat(
      `(module (import "fl_imps" "__insert_response" (func (param i32))) (memory (export "memory") 1) (func (export "_start")))`,
    );
    await rejectsWith(store(wrong), 'invalid_module', /must take 2 i32/);
  });

  test('an imported memory', async () => {
    const code = await wat(
      `(module (import "wasi_snapshot_preview1" "memory" (memory 1)) (func (export "_start")))`,
    );
    await rejectsWith(store(code), 'invalid_module', /not a function/);
  });

  test('no memory at all', async () => {
    await rejectsWith(
      store(await wat(`(module (func (export "_start")))`)),
      'invalid_module',
      /exactly one memory/,
    );
  });

  test('a module that fails validation', async () => {
    // Valid structure, but the function body returns nothing where an i32 is due.
    const code = await wat(`(module (memory (export "memory") 1) (func (export "_start")))`);
    const broken = Uint8Array.from(code);
    // Replace the body's `end` (last byte) by `unreachable` + nothing: the body no longer ends.
    broken[broken.length - 1] = 0x00;
    await rejectsWith(store(broken), 'invalid_module');
  });

  test('nothing is stored for a refused module', () => {
    assert.deepEqual(runtime.list(), []);
  });
});
