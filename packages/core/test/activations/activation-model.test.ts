import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ErrorCode, FlError, LogStream, isActivationId } from '@funless/protocol';

import {
  ActivationIds,
  INTERNAL_ERROR_MESSAGE,
  activationTime,
  failureOutcome,
  firstIdAt,
  keptLogs,
  keptResult,
  successOutcome,
} from '../../src/activations/index.js';

const FN = { module: 'm', name: 'f', hash: 'cd'.repeat(32), tag: 'default', capacityMiB: 16 };

describe('activation ids', () => {
  test('are 32 lowercase hex digits that carry the time they were made', () => {
    const at = Date.parse('2026-05-04T03:02:01.123Z');
    const id = new ActivationIds().next(at);
    assert.ok(isActivationId(id), id);
    assert.equal(activationTime(id).toISOString(), '2026-05-04T03:02:01.123Z');
    assert.equal(id.slice(0, 12), at.toString(16).padStart(12, '0'));
  });

  test('increase in the order they are made, within a millisecond and when the clock goes back', () => {
    const ids = new ActivationIds();
    const made = [ids.next(1000), ids.next(1000), ids.next(1000), ids.next(999), ids.next(1001)];
    assert.deepEqual([...made].sort(), made);
    assert.equal(new Set(made).size, made.length);
  });

  test('10,000 made in one millisecond are all different and increasing', () => {
    const ids = new ActivationIds();
    const made = Array.from({ length: 10_000 }, () => ids.next(7));
    for (let i = 1; i < made.length; i++) assert.ok(made[i]! > made[i - 1]!, `${made[i - 1]} < ${made[i]}`);
    assert.ok(made.every((id) => isActivationId(id) && id.startsWith('000000000007')));
  });

  test('of two generators do not collide (80 random bits each)', () => {
    const a = new ActivationIds().next(5);
    const b = new ActivationIds().next(5);
    assert.notEqual(a, b);
  });

  test('firstIdAt is the lowest id of its millisecond: a time range is a range of ids', () => {
    const ids = new ActivationIds();
    const id = ids.next(2000);
    assert.ok(firstIdAt(2000) <= id);
    assert.ok(firstIdAt(2001) > id);
    assert.ok(firstIdAt(-5) === '0'.repeat(32), 'before the epoch is the first id');
  });

  test('what is not an id is refused', () => {
    for (const bad of ['', 'ABCDEF'.padEnd(32, '0'), '0'.repeat(31), '0'.repeat(33), 'g'.repeat(32), 42]) {
      assert.equal(isActivationId(bad), false, String(bad));
    }
  });
});

describe('what a record keeps', () => {
  test('a result within the limit whole, a larger one cut at a character boundary with the flag', () => {
    assert.deepEqual(keptResult(Buffer.from('{"a":"é"}'), 64), { result: '{"a":"é"}', truncated: false });
    // "é" is two bytes: a cut between them steps back before it.
    const cut = keptResult(Buffer.from('["ééé"]'), 4);
    assert.deepEqual(cut, { result: '["é', truncated: true });
  });

  test("logs in order until the byte limit, each line counting its text and 5 bytes (the runtime's rule)", () => {
    const lines = [
      { stream: LogStream.Stdout, text: 'abc' },
      { stream: LogStream.Stderr, text: 'dé' },
      { stream: LogStream.Console, text: 'f' },
    ];
    // 'abc' 3 + 5, 'dé' 3 + 5, 'f' 1 + 5: 22 bytes in all.
    assert.deepEqual(keptLogs(lines, 16), { logs: lines.slice(0, 2), truncated: true });
    assert.deepEqual(keptLogs(lines, 22), { logs: lines, truncated: false });
    assert.deepEqual(keptLogs(lines, 15), { logs: lines.slice(0, 1), truncated: true });
  });

  test('the lines the cluster reported go into the outcome, success or failure, and their cut too', () => {
    const logs = [{ stream: LogStream.Console, text: 'before the trap' }];
    const failed = failureOutcome(
      FN,
      { worker: 'w1', durationMs: 2, logs, logsTruncated: true },
      new FlError(ErrorCode.Trap, 'unreachable'),
      3,
    );
    assert.deepEqual(failed.logs, logs);
    assert.equal(failed.logsTruncated, true);
    assert.equal(failed.durationMs, 2);
    const ok = successOutcome(FN, { logs }, Buffer.from('1'), 1);
    assert.deepEqual(ok.logs, logs);
    assert.equal(ok.logsTruncated, false);
  });

  test('a failure is recorded under its stable code; a fault of the platform without its internals', () => {
    const trap = failureOutcome(FN, { worker: 'w1' }, new FlError(ErrorCode.Trap, 'unreachable'), 3);
    assert.equal(trap.status, 'trap');
    assert.equal(trap.error, 'unreachable');
    assert.equal(trap.worker, 'w1');
    assert.equal(trap.hash, FN.hash);
    const bug = failureOutcome(FN, {}, new TypeError('x is undefined at /srv/secret.js'), 3);
    assert.equal(bug.status, 'internal');
    assert.equal(bug.error, INTERNAL_ERROR_MESSAGE);
    assert.equal(bug.worker, null);
  });

  test('a success keeps the result, the Worker and the time in the guest', () => {
    const ok = successOutcome(FN, { worker: 'w2', durationMs: 0.5 }, Buffer.from('{"x":1}'), 1.5);
    assert.equal(ok.status, 'success');
    assert.equal(ok.result, '{"x":1}');
    assert.equal(ok.durationMs, 0.5);
    assert.equal(ok.totalMs, 1.5);
    assert.equal(ok.worker, 'w2');
  });
});
