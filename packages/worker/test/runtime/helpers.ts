import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { LogLine } from '@funless/protocol';

import {
  codeHash,
  Runtime,
  type FunctionCode,
  type InvokeRequest,
  type RuntimeOptions,
} from '../../src/index.js';

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

/** The texts of captured lines, without their streams. */
export function texts(logs: readonly LogLine[] | undefined): string[] {
  return (logs ?? []).map((line) => line.text);
}

/** The JSON bytes of a value: what the Core hands a Worker as an invocation's input. */
export function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/** The text of a result's bytes. */
export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString();
}

/** An invocation whose input is given as a value (sent as its JSON). */
export type JsonInvokeRequest = Omit<InvokeRequest, 'input'> & { input: unknown };

/** Invokes with `req.input` as JSON and parses the result; fails if the runtime lacks the code. */
export async function run(runtime: Runtime, req: JsonInvokeRequest) {
  const outcome = await runtime.invoke({ ...req, input: json(req.input) });
  if (outcome.type === 'missing') throw new Error(`the runtime does not hold ${req.module}/${req.name}`);
  return { ...outcome, result: JSON.parse(text(outcome.result)) as unknown };
}

/** Stores the code and invokes it once with `input` as JSON; the result parsed. */
export async function storeAndInvoke(runtime: Runtime, code: Uint8Array, input: unknown, capacityMiB = 64) {
  const f = fn(code);
  await runtime.store(f);
  return run(runtime, { module: f.module, name: f.name, hash: f.hash, capacityMiB, input });
}

/** The thread figures of a runtime's stats (threads, busy, queued). */
export function threadLoad(runtime: Runtime): { threads: number; busy: number; queued: number } {
  const { threads, busy, queued } = runtime.stats();
  return { threads, busy, queued };
}

/** Asserts that the promise rejects with an error of this code, and returns the error. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
  message?: RegExp,
): Promise<Error & { code: string; logs?: LogLine[]; logsTruncated?: boolean; durationMs?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { code: string; logs?: LogLine[]; logsTruncated?: boolean; durationMs?: number };
    if (e.code !== code)
      throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`, { cause: err });
    if (message && !message.test(e.message))
      throw new Error(`message ${JSON.stringify(e.message)} does not match ${message}`);
    return e;
  }
  throw new Error(`expected a rejection with code ${code}, but it resolved`);
}
