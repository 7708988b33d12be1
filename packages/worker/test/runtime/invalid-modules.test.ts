import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { wat } from '@funless/testing';

import { codeHash, Runtime } from '../../src/index.js';
import { rejectsWith, tempDir } from './helpers.js';

// Which modules are refused, and with which message, is one rule shared with the Core's upload:
// packages/core/test/function-binary-contract.test.ts runs every case against both.
describe('invalid modules are refused at store with invalid_module', () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await Runtime.create({ dataDir: await tempDir(), threads: 1 });
  });
  after(() => runtime.close());

  const store = (code: Uint8Array) => runtime.store({ module: 'm', name: 'bad', hash: codeHash(code), code });

  test('bytes that are not WebAssembly', async () => {
    await rejectsWith(store(new TextEncoder().encode('hello world')), 'invalid_module', /\\0asm/);
  });

  test('a module the shared check refuses', async () => {
    await rejectsWith(store(await wat(`(module (func (export "_start")))`)), 'invalid_module', /no memory/);
  });

  test('a module V8 refuses', async () => {
    const code = Uint8Array.from(await wat(`(module (memory (export "memory") 1) (func (export "_start")))`));
    // Replace the body's `end` (last byte) by `unreachable`: the body no longer ends.
    code[code.length - 1] = 0x00;
    await rejectsWith(store(code), 'invalid_module', /not a valid WebAssembly module/);
  });

  test('nothing is stored for a refused module', () => {
    assert.deepEqual(runtime.list(), []);
  });
});
