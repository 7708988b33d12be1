// Inputs and results pass through the runtime as bytes: the guest reads exactly what the caller
// sent, the caller gets exactly what the guest wrote, checked once (UTF-8, JSON, size) on the way
// out. See docs/runtime.md, "Input and result".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cFixture, ECHO_WAT, fillWat, wat } from '@funless/testing';

import { Runtime, type InvokeRequest } from '../../src/index.js';
import { fn, rejectsWith, tempDir, text } from './helpers.js';

/** A function whose result is `json`, from a data segment. */
function constantWat(json: string): string {
  return `(module
  (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${json.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}")
  (func (export "__invoke") (param i32) (result i32)
    (call $response (i32.const 0) (i32.const ${Buffer.byteLength(json)}))
    (i32.const 0)))`;
}

/** 10,000 nested arrays: about 20 KB, deeper than `JSON.stringify` can go. */
const DEEP_JSON = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

describe('inputs and results pass through as bytes', () => {
  let runtime: Runtime;
  before(async () => {
    runtime = await Runtime.create({ dataDir: await tempDir(), threads: 1 });
  });
  after(() => runtime.close());

  async function invoke(source: string | Uint8Array, input: string): Promise<string> {
    const f = fn(typeof source === 'string' ? await wat(source) : source);
    await runtime.store(f);
    const request: InvokeRequest = { ...f, capacityMiB: 64, input: Buffer.from(input) };
    const outcome = await runtime.invoke(request);
    assert.equal(outcome.type, 'result');
    return outcome.type === 'result' ? text(outcome.result) : '';
  }

  test('an integer beyond 2^53 reaches the guest and comes back exactly, escapes and all', async () => {
    const input = '{"n":12345678901234567890,"s":"caf\\u00e9","f":1.0}';
    assert.equal(await invoke(ECHO_WAT, input), input);
    // A WASI command gets it on stdin and its stdout is the result.
    assert.equal(await invoke(await cFixture('echo'), input), `{"echo":${input}}\n`);
  });

  test('a result of 10,000 nested arrays is returned as it is', async () => {
    assert.equal(await invoke(constantWat(DEEP_JSON), '{}'), DEEP_JSON);
  });

  test('a result of 4 MB of invalid UTF-8 (a JSON string once decoded with replacements) is result_not_json naming UTF-8', async () => {
    const f = fn(await wat(fillWat('__insert_response', 0xff, 4 * 1024 * 1024, true)));
    await runtime.store(f);
    await rejectsWith(
      runtime.invoke({ ...f, capacityMiB: 64, input: Buffer.from('{}') }),
      'result_not_json',
      /not valid UTF-8 \(4194304 bytes\)/,
    );
  });

  test('a result over the result limit is result_too_large naming the limit', async () => {
    const f = fn(await wat(fillWat('__insert_response', 0x20, 6 * 1024 * 1024 + 1)));
    await runtime.store(f);
    await rejectsWith(
      runtime.invoke({ ...f, capacityMiB: 64, input: Buffer.from('{}') }),
      'result_too_large',
      /result of 6291457 bytes is larger than the result limit of 6291456 bytes/,
    );
  });

  test('an error message over 64 KiB is cut there, with a mark saying how long it was', async () => {
    const f = fn(await wat(fillWat('__insert_error', 0x65, 4 * 1024 * 1024)));
    await runtime.store(f);
    const error = await rejectsWith(
      runtime.invoke({ ...f, capacityMiB: 64, input: Buffer.from('{}') }),
      'guest_error',
      /^e{65536}… \[error message cut at 65536 of 4194304 bytes\]$/,
    );
    assert.ok(error.message.length < 70_000);
  });
});
