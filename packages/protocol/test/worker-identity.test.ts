import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isWorkerName, isWorkerTag, WORKER_NAME_RULE, WORKER_TAG_RULE } from '../src/index.js';

test('Worker names are 1-160 letters, digits, _, . or -', () => {
  for (const name of ['w', 'host-1.example_a', 'a'.repeat(160)]) assert.ok(isWorkerName(name), name);
  for (const name of ['', 'a'.repeat(161), 'has space', 'bad!', 'é', 'a/b', 42, undefined]) {
    assert.equal(isWorkerName(name), false, String(name));
  }
  assert.equal(WORKER_NAME_RULE, '1-160 letters, digits, _, . or -');
});

test('Worker tags are 1-160 characters', () => {
  for (const tag of ['default', 'gpu large', 'x'.repeat(160)]) assert.ok(isWorkerTag(tag), tag);
  for (const tag of ['', 'x'.repeat(161), 7, null]) assert.equal(isWorkerTag(tag), false, String(tag));
  assert.equal(WORKER_TAG_RULE, '1-160 characters');
});
