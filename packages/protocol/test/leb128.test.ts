import assert from 'node:assert/strict';
import { test } from 'node:test';

import { encodeSection, signedLeb128, unsignedLeb128 } from '../src/index.js';

test('unsigned LEB128 writes seven bits a byte, low bits first', () => {
  assert.deepEqual(unsignedLeb128(0), [0]);
  assert.deepEqual(unsignedLeb128(127), [0x7f]);
  assert.deepEqual(unsignedLeb128(128), [0x80, 0x01]);
  assert.deepEqual(unsignedLeb128(624485), [0xe5, 0x8e, 0x26]);
});

test('signed LEB128 ends when the rest is the sign of the last byte', () => {
  assert.deepEqual(signedLeb128(0), [0]);
  assert.deepEqual(signedLeb128(-1), [0x7f]);
  assert.deepEqual(signedLeb128(63), [0x3f]);
  assert.deepEqual(signedLeb128(64), [0xc0, 0x00]);
  assert.deepEqual(signedLeb128(-64), [0x40]);
  assert.deepEqual(signedLeb128(-65), [0xbf, 0x7f]);
  assert.deepEqual(signedLeb128(-123456), [0xc0, 0xbb, 0x78]);
});

test('a section is its id, its size and its content', () => {
  assert.deepEqual([...encodeSection(1, [0x60, 0, 0])], [1, 3, 0x60, 0, 0]);
  const big = new Uint8Array(200).fill(7);
  const section = encodeSection(11, big);
  assert.deepEqual([...section.subarray(0, 3)], [11, 0xc8, 0x01]);
  assert.deepEqual(section.subarray(3), big);
});
