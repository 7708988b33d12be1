import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ErrorCode, FlError, NAME_PATTERN } from '../src/index.js';

test('an error survives the trip through its wire form', () => {
  const original = new FlError(ErrorCode.Timeout, 'took too long');
  const rebuilt = FlError.fromPayload(JSON.parse(JSON.stringify(original.toPayload())));
  assert.equal(rebuilt.code, ErrorCode.Timeout);
  assert.equal(rebuilt.message, 'took too long');
});

test('the name rule accepts FunLess names and refuses paths', () => {
  assert.ok(NAME_PATTERN.test('hello_world_42'));
  assert.ok(!NAME_PATTERN.test('../etc'));
  assert.ok(!NAME_PATTERN.test('héllo'));
  assert.ok(!NAME_PATTERN.test(''));
});
