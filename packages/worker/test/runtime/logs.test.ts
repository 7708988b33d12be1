// What a guest prints reaches its caller with its result or its error, each line with its stream,
// in order; a trap and a timeout keep the lines written before them (docs/runtime.md, "Logs").
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asFixture, watFixture } from '@funless/testing';

import { rejectsWith, storeAndInvoke, withRuntime } from './helpers.js';

test('a trap keeps the lines written before it, on every stream, in order, a last partial line included', () =>
  withRuntime({ threads: 1 }, async (runtime) => {
    const err = await rejectsWith(storeAndInvoke(runtime, await watFixture('log-then-trap'), {}), 'trap');
    assert.deepEqual(err.logs, [
      { stream: 'console', text: 'from console' },
      { stream: 'stdout', text: 'to stdout' },
      { stream: 'stderr', text: 'to stderr, no line break' },
    ]);
    assert.equal(err.logsTruncated, false);
    assert.ok((err.durationMs ?? -1) >= 0, 'the time it ran');
  }));

test('a guest stopped at its time limit keeps the lines it wrote before, and the time it ran', () =>
  withRuntime({ threads: 1, defaultTimeoutMs: 300 }, async (runtime) => {
    const err = await rejectsWith(
      storeAndInvoke(runtime, await watFixture('log-then-loop'), {}),
      'timeout',
      /time limit of 300 ms/,
    );
    assert.deepEqual(err.logs, [
      { stream: 'console', text: 'from console' },
      { stream: 'stdout', text: 'to stdout' },
      { stream: 'stderr', text: 'to stderr' },
    ]);
    assert.ok((err.durationMs ?? 0) >= 300, `ran ${err.durationMs} ms`);
  }));

test("the next invocation on the same thread starts with no lines of the last one's", () =>
  withRuntime({ threads: 1 }, async (runtime) => {
    await rejectsWith(storeAndInvoke(runtime, await watFixture('log-then-trap'), {}), 'trap');
    const out = await storeAndInvoke(runtime, await watFixture('hello'), { name: 'Ada' });
    assert.deepEqual(out.logs, []);
    const logged = await storeAndInvoke(runtime, await asFixture('console-log'), {});
    assert.equal(logged.logs.length, 3);
  }));
