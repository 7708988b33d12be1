import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { asFixture, cFixture, wat, watFixture } from '@funless/testing';

import { Runtime } from '../../src/index.js';
import { fn, rejectsWith, storeAndInvoke, tempDir, run } from './helpers.js';

describe('function shapes and their errors', () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await Runtime.create({ dataDir: await tempDir(), threads: 2, maxOutputBytes: 4096 });
  });
  after(() => runtime.close());

  test('a FunLess-ABI function reads its input and answers JSON', async () => {
    const out = await storeAndInvoke(runtime, await watFixture('hello'), { name: 'Ada' });
    assert.deepEqual(out.result, { payload: 'Hello Ada!' });
    assert.deepEqual(out.logs, []);
    assert.ok(out.durationMs >= 0);
  });

  test('a realistic C function (wasi-libc reactor, ~1 MiB memory) runs through _initialize and __invoke', async () => {
    const code = await cFixture('realistic');
    // Some hundreds of KB with either C toolchain (docs/testing.md): Debian's ~256 KB, the npm one ~181 KB.
    assert.ok(code.length > 150_000, `fixture is ${code.length} bytes`);
    const first = await storeAndInvoke(runtime, code, { name: 'Grace' });
    const result = first.result as { payload: string; check: number };
    assert.equal(result.payload, 'Hello Grace!');
    assert.equal(typeof result.check, 'number');
  });

  test('a guest error carries the message the guest gave', async () => {
    const err = await rejectsWith(
      storeAndInvoke(runtime, await asFixture('guest-error'), { x: 1 }),
      'guest_error',
      /^this function always fails; input was \{"x":1\}$/,
    );
    assert.deepEqual(err.logs, []);
  });

  test('a trap becomes a trap error with V8 message', async () => {
    await rejectsWith(storeAndInvoke(runtime, await watFixture('trap'), {}), 'trap', /unreachable/);
  });

  test('console logs are captured in order', async () => {
    const out = await storeAndInvoke(runtime, await asFixture('console-log'), {});
    assert.deepEqual(out.result, { logged: 3 });
    assert.deepEqual(out.logs, [
      { stream: 'console', text: 'first line' },
      { stream: 'console', text: 'second line, with unicode: héllo ✓' },
      { stream: 'console', text: 'third line' },
    ]);
    assert.equal(out.logsTruncated, false);
  });

  test('misbehaving functions get no_result, bad_return_code, result_not_json and trap errors', async () => {
    const code = await watFixture('return-codes');
    const f = fn(code);
    await runtime.store(f);
    const call = (mode: number) => run(runtime, { ...f, capacityMiB: 64, input: { mode } });
    await rejectsWith(call(1), 'no_result', /without a result/);
    await rejectsWith(call(2), 'bad_return_code', /returned 7/);
    await rejectsWith(call(3), 'result_not_json', /this is not JSON/);
    await rejectsWith(call(4), 'guest_error', /without a message/);
    await rejectsWith(call(5), 'trap', /out of bounds/);
    // The function still works after all of that.
    await rejectsWith(call(1), 'no_result');
  });

  test('a WASI command gets its input on stdin and answers on stdout', async () => {
    const out = await storeAndInvoke(runtime, await cFixture('echo'), { hello: 'wasi' });
    assert.deepEqual(out.result, { echo: { hello: 'wasi' } });
    assert.deepEqual(out.logs, [{ stream: 'stderr', text: 'echo got 16 bytes' }]);
  });

  test('a WASI command that exits non-zero is a guest error carrying stderr', async () => {
    const err = await rejectsWith(
      storeAndInvoke(runtime, await cFixture('echo'), { fail: true }),
      'guest_error',
    );
    assert.match(err.message, /asked to fail/);
    assert.deepEqual(err.logs, [
      { stream: 'stderr', text: 'echo got 13 bytes' },
      { stream: 'stderr', text: 'asked to fail' },
    ]);
    assert.ok((err.durationMs ?? -1) >= 0, 'the time it ran');
  });

  test('proc_exit(0) ends a command successfully and stderr becomes logs', async () => {
    const out = await storeAndInvoke(runtime, await watFixture('print-command'), {});
    assert.deepEqual(out.result, { ok: true });
    assert.deepEqual(out.logs, [{ stream: 'stderr', text: 'a line on stderr' }]);
  });

  test('the WASI sandbox has no files, no environment, no arguments, but real clocks and random', async () => {
    const out = await storeAndInvoke(runtime, await cFixture('sandbox'), {});
    const seen = out.result as Record<string, unknown>;
    assert.equal(seen.fileOpened, false);
    assert.equal(seen.fileCreated, false);
    assert.equal(seen.envc, 0);
    assert.equal(seen.argc, 0);
    assert.equal(seen.entropy, 0);
    assert.equal(seen.randomNonZero, true);
    const now = Date.now() / 1000;
    assert.ok(Math.abs((seen.epochSeconds as number) - now) < 5, `clock says ${String(seen.epochSeconds)}`);
  });

  test('a WASI command that writes nothing has no result', async () => {
    const code = await wat(`(module (memory (export "memory") 1) (func (export "_start")))`);
    await rejectsWith(storeAndInvoke(runtime, code, {}), 'no_result', /stdout/);
  });

  test('input over its cap is too_large, output over its cap result_too_large', async () => {
    const small = await Runtime.create({ dataDir: await tempDir(), threads: 1, maxInputBytes: 100 });
    try {
      await rejectsWith(
        storeAndInvoke(small, await watFixture('hello'), { name: 'x'.repeat(200) }),
        'too_large',
        /input/,
      );
    } finally {
      await small.close();
    }
    // maxOutputBytes is 4096 in this suite: the echo answers more than its input.
    await rejectsWith(
      storeAndInvoke(runtime, await cFixture('echo'), { big: 'y'.repeat(5000) }),
      'result_too_large',
      /output is larger than the result limit of 4096 bytes/,
    );
  });
});
