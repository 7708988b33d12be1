import assert from 'node:assert/strict';

import { codeHash } from '@funless/worker';
import type { Runtime } from '@funless/worker';

/** Stores a module on the Worker's real runtime and runs it once, as the platform would. */
export async function runOnRuntime(
  runtime: Runtime,
  name: string,
  code: Uint8Array,
  input: unknown,
): Promise<{ result: unknown; logs: string[] }> {
  const ref = { module: '_', name, hash: codeHash(code) };
  await runtime.store({ ...ref, code });
  const outcome = await runtime.invoke({
    ...ref,
    capacityMiB: 64,
    input: Buffer.from(JSON.stringify(input)),
  });
  assert.ok(outcome.type === 'result', 'the code was just stored');
  return {
    result: JSON.parse(Buffer.from(outcome.result).toString()) as unknown,
    logs: outcome.logs.map((line) => line.text),
  };
}
