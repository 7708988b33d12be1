import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { codeHash, Runtime, type FunctionCode, type RuntimeOptions } from '../../src/index.js';

let counter = 0;

/** A function of the given code with a unique name. */
export function fn(code: Uint8Array, module = '_', name = `fn_${process.pid}_${++counter}`): FunctionCode {
  return { module, name, hash: codeHash(code), code };
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fl-runtime-test-'));
}

/** Runs `body` with a fresh runtime over a temporary data directory, then closes and removes both. */
export async function withRuntime(
  options: Partial<RuntimeOptions>,
  body: (runtime: Runtime, dataDir: string) => Promise<void>,
): Promise<void> {
  const dataDir = options.dataDir ?? (await tempDir());
  const runtime = await Runtime.create({ threads: 2, ...options, dataDir });
  try {
    await body(runtime, dataDir);
  } finally {
    await runtime.close();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/** Stores the code and invokes it once. */
export async function storeAndInvoke(runtime: Runtime, code: Uint8Array, input: unknown, capacityMiB = 64) {
  const f = fn(code);
  await runtime.store(f);
  return runtime.invoke({ module: f.module, name: f.name, hash: f.hash, capacityMiB, input });
}

/** Asserts that the promise rejects with an error of this code, and returns the error. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<Error & { code: string; logs?: string[] }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { code: string; logs?: string[] };
    if (e.code !== code)
      throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`, { cause: err });
    if (message && !message.test(e.message))
      throw new Error(`message ${JSON.stringify(e.message)} does not match ${message}`);
    return e;
  }
  throw new Error(`expected a rejection with code ${code}, but it resolved`);
}
