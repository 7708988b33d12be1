import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventually } from '../src/index.js';

test('eventually resolves with the first truthy value, after as many tries as it took', async () => {
  let tries = 0;
  const value = await eventually(() => (++tries === 3 ? { tries } : undefined), 'the third try');
  assert.deepEqual(value, { tries: 3 });
  assert.equal(tries, 3);
});

test('eventually awaits an async check', async () => {
  let tries = 0;
  assert.equal(await eventually(() => Promise.resolve(++tries >= 2 && 'ready'), 'ready'), 'ready');
});

test('eventually fails after its time limit, naming what it waited for', async () => {
  let tries = 0;
  await assert.rejects(
    eventually(
      () => ++tries < 0,
      () => `the impossible (${tries} tries)`,
      { timeoutMs: 30, intervalMs: 5 },
    ),
    /^Error: timed out after 30 ms waiting for: the impossible \(\d+ tries\)$/,
  );
  assert.ok(tries >= 2, `only ${tries} tries`);
});

test('an error thrown by the check fails at once, without retrying', async () => {
  let tries = 0;
  await assert.rejects(
    eventually(() => {
      tries += 1;
      throw new Error('the Core exited');
    }, 'never'),
    /the Core exited/,
  );
  assert.equal(tries, 1);
});
