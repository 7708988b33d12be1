import assert from 'node:assert/strict';
import { test } from 'node:test';

import { defaultPolicy } from '../../src/scheduling/index.js';
import { worker } from './helpers.js';

const req = { tag: 'default', capacityMiB: 64 };

test('the default policy picks the Worker with the most free memory', () => {
  const workers = [worker('a', { free: 100 }), worker('b', { free: 900 }), worker('c', { free: 500 })];
  assert.deepEqual(defaultPolicy(workers, req), { ok: true, worker: 'b' });
});

test('the default policy skips Workers without the capacity free, and accepts exactly the capacity', () => {
  const workers = [worker('a', { free: 63 }), worker('b', { free: 64 })];
  assert.deepEqual(defaultPolicy(workers, req), { ok: true, worker: 'b' });
});

test('on a tie the default policy takes the Worker listed first', () => {
  const workers = [worker('a', { free: 500 }), worker('b', { free: 500 })];
  assert.deepEqual(defaultPolicy(workers, req), { ok: true, worker: 'a' });
});

test('with no Worker connected the default policy fails and says so', () => {
  const placement = defaultPolicy([], req);
  assert.equal(placement.ok, false);
  assert.match(!placement.ok ? placement.reason : '', /no Worker is connected/);
});

test('when no Worker has room the reason gives the capacity and the most free memory', () => {
  const placement = defaultPolicy([worker('a', { free: 10 }), worker('b', { free: 40 })], req);
  assert.equal(placement.ok, false);
  const reason = !placement.ok ? placement.reason : '';
  assert.match(reason, /none of the 2 connected Workers has the 64 MiB/);
  assert.match(reason, /40 MiB on "b"/);
});

test('with a single full Worker the reason names it', () => {
  const placement = defaultPolicy([worker('only', { free: 10 })], req);
  assert.match(
    !placement.ok ? placement.reason : '',
    /the only connected Worker, "only", has 10 MiB free; the function needs 64 MiB/,
  );
});
