import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  capacityPages,
  checkFunction,
  ErrorCode,
  MAX_CAPACITY_MIB,
  readModule,
  WASI_NOT_CAPABLE,
  WASI_PREVIEW1_FUNCTIONS,
  WasmFormatError,
} from '../src/index.js';

const HEADER = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];

test('the reader says where a binary stops making sense', () => {
  // A type section that claims 5 bytes but holds 2.
  const truncated = Uint8Array.from([...HEADER, 1, 5, 1, 0x60]);
  assert.throws(
    () => readModule(truncated),
    (error: unknown) => {
      assert.ok(error instanceof WasmFormatError);
      assert.equal(error.message, 'unexpected end of data at byte 10');
      return true;
    },
  );
  assert.throws(() => readModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), /version 1/);
});

test('checkFunction turns what the reader cannot read into invalid_module', () => {
  assert.throws(
    () => checkFunction(Uint8Array.from([...HEADER, 1, 5, 1, 0x60])),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, ErrorCode.InvalidModule);
      assert.match(
        error.message,
        /^code is not a valid WebAssembly module: unexpected end of data at byte 10$/,
      );
      return true;
    },
  );
});

test('the not-capable WASI functions are WASI preview1 functions', () => {
  for (const name of WASI_NOT_CAPABLE) assert.ok(Object.hasOwn(WASI_PREVIEW1_FUNCTIONS, name), name);
});

test('a capacity becomes pages of 64 KiB, up to all a wasm32 memory addresses', () => {
  assert.equal(capacityPages(1), 16);
  assert.equal(capacityPages(MAX_CAPACITY_MIB), 65_536);
  assert.equal(MAX_CAPACITY_MIB, 4096);
});
