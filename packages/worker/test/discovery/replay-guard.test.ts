import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ReplayGuard } from '../../src/discovery/replay-guard.js';

describe('ReplayGuard', () => {
  test('a nonce is accepted once while it is remembered, and again after it expired', () => {
    const guard = new ReplayGuard(1000);
    assert.equal(guard.firstSeen('a', 0), true);
    assert.equal(guard.firstSeen('a', 999), false);
    assert.equal(guard.firstSeen('b', 999), true);
    assert.equal(
      guard.firstSeen('a', 1000),
      true,
      'expired nonces are forgotten (the freshness window rejects them)',
    );
    assert.equal(guard.size, 2);
  });

  test('memory is bounded: beyond maxEntries the oldest nonce is dropped', () => {
    const guard = new ReplayGuard(60_000, 3);
    for (const nonce of ['a', 'b', 'c', 'd']) assert.equal(guard.firstSeen(nonce, 0), true);
    assert.equal(guard.size, 3);
    assert.equal(guard.firstSeen('d', 1), false);
    assert.equal(guard.firstSeen('a', 1), true, 'the oldest was evicted');
  });
});
