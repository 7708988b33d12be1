import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';

import { exitOnSignals } from '../src/index.js';

function recorder() {
  const lines: [string, string][] = [];
  const exits = new EventEmitter();
  return {
    lines,
    exits,
    logger: {
      info: (_: object, message: string) => lines.push(['info', message]),
      error: (_: object, message: string) => lines.push(['error', message]),
    },
    exit: (code: number) => exits.emit('exit', code),
  };
}

test('the first SIGTERM closes, exits 0 and removes both handlers', async () => {
  const r = recorder();
  const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
  let closes = 0;
  exitOnSignals({
    close: () => Promise.resolve(void closes++),
    logger: r.logger,
    subject: 'Core',
    exit: r.exit,
  });
  assert.deepEqual(
    [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')],
    [before[0]! + 1, before[1]! + 1],
  );
  const exited = once(r.exits, 'exit');
  process.emit('SIGTERM', 'SIGTERM');
  assert.deepEqual(await exited, [0]);
  assert.equal(closes, 1);
  assert.deepEqual(r.lines, [['info', 'Core shutting down']]);
  assert.deepEqual([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')], before);
});

test('SIGINT does the same, and a close that fails is logged and exits 1', async () => {
  const r = recorder();
  exitOnSignals({
    close: () => Promise.reject(new Error('database gone')),
    logger: r.logger,
    subject: 'Worker',
    exit: r.exit,
  });
  const exited = once(r.exits, 'exit');
  process.emit('SIGINT', 'SIGINT');
  assert.deepEqual(await exited, [1]);
  assert.deepEqual(r.lines, [
    ['info', 'Worker shutting down'],
    ['error', 'Worker shutdown failed'],
  ]);
});

test('the returned function removes the handlers without closing', () => {
  const before = process.listenerCount('SIGTERM');
  let closes = 0;
  const remove = exitOnSignals({
    close: () => Promise.resolve(void closes++),
    logger: recorder().logger,
    subject: 'platform',
    exit: () => assert.fail('no exit expected'),
  });
  remove();
  assert.equal(process.listenerCount('SIGTERM'), before);
  assert.equal(closes, 0);
});
