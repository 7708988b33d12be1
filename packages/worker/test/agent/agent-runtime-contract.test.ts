// The contract between the link agent and its runtime, run against the real `Runtime` and against
// the `StubRuntime` the agent's tests use: whatever those tests show with the stub holds with the
// real runtime, because both pass these cases.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { ErrorCode, FlError } from '@funless/protocol';
import { ECHO_WAT, rejectsWith, wat } from '@funless/testing';

import type { AgentRuntime } from '../../src/agent/index.js';
import { codeHash, Runtime } from '../../src/runtime/index.js';
import type { FunctionCode, InvokeOutcome } from '../../src/runtime/index.js';
import { tempDir } from '../runtime/helpers.js';
import { StubRuntime } from './stub-runtime.js';

interface Implementation {
  name: string;
  create(): Promise<{ runtime: AgentRuntime; dispose(): Promise<void> }>;
}

const IMPLEMENTATIONS: Implementation[] = [
  {
    name: 'StubRuntime',
    create: () => {
      const runtime = new StubRuntime();
      return Promise.resolve({ runtime, dispose: () => runtime.close() });
    },
  },
  {
    name: 'Runtime',
    async create() {
      const dataDir = await tempDir();
      const runtime = await Runtime.create({ dataDir, threads: 1 });
      return {
        runtime,
        async dispose() {
          await runtime.close();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    },
  },
];

let versions = 0;
/** A new version of the echo function: the same behaviour, another hash. */
async function echoVersion(name: string): Promise<FunctionCode> {
  // A custom section makes the binary, and so its hash, unique.
  const tag = `v${++versions}`;
  const base = await wat(ECHO_WAT);
  const section = Buffer.concat([Buffer.from([0, tag.length + 2, 1, 0x76]), Buffer.from(tag)]);
  const code = Buffer.concat([base, section]);
  return { module: 'contract', name, hash: codeHash(code), code };
}

const INPUT = Buffer.from('{"n":12345678901234567890}');

function text(outcome: InvokeOutcome): string {
  assert.equal(outcome.type, 'result');
  return outcome.type === 'result' ? Buffer.from(outcome.result).toString() : '';
}

for (const implementation of IMPLEMENTATIONS) {
  describe(`the agent's runtime contract: ${implementation.name}`, () => {
    let runtime: AgentRuntime;
    let dispose: (() => Promise<void>) | undefined;
    before(async () => {
      const created = await implementation.create();
      runtime = created.runtime;
      dispose = () => created.dispose();
    });
    after(() => dispose?.());

    const call = (fn: FunctionCode) =>
      runtime.invoke({ module: fn.module, name: fn.name, hash: fn.hash, capacityMiB: 64, input: INPUT });

    test('a version not held is a missing outcome, not an error', async () => {
      const fn = await echoVersion('unknown');
      assert.deepEqual(await call(fn), { type: 'missing' });
    });

    test('stored code is listed and runs, its input and result passing as bytes', async () => {
      const fn = await echoVersion('stored');
      await runtime.store(fn);
      assert.ok(runtime.list().some((r) => r.name === 'stored' && r.hash === fn.hash));
      assert.equal(text(await call(fn)), INPUT.toString());
    });

    test('storing a new version replaces the previous one, which is then missing', async () => {
      const v1 = await echoVersion('updated');
      const v2 = await echoVersion('updated');
      await runtime.store(v1);
      text(await call(v1));
      await runtime.store(v2);
      assert.deepEqual(
        runtime.list().filter((r) => r.name === 'updated'),
        [{ module: 'contract', name: 'updated', hash: v2.hash }],
      );
      assert.deepEqual(await call(v1), { type: 'missing' });
      assert.equal(text(await call(v2)), INPUT.toString());
      // A late drop of the old version leaves the new one alone.
      assert.equal(await runtime.drop(v1), false);
      assert.equal(text(await call(v2)), INPUT.toString());
    });

    test('an invocation starts once (onStart) and then runs to its end whatever its signal says', async () => {
      const fn = await echoVersion('started');
      await runtime.store(fn);
      const controller = new AbortController();
      let starts = 0;
      const outcome = await runtime.invoke({
        module: fn.module,
        name: fn.name,
        hash: fn.hash,
        capacityMiB: 64,
        input: INPUT,
        signal: controller.signal,
        onStart: () => {
          starts++;
          controller.abort(new FlError(ErrorCode.Timeout, 'too late to drop'));
        },
      });
      assert.equal(text(outcome), INPUT.toString());
      assert.equal(starts, 1);
    });

    test('an invocation whose signal is aborted never starts and rejects with the reason', async () => {
      const fn = await echoVersion('not_started');
      await runtime.store(fn);
      let starts = 0;
      await rejectsWith(
        runtime.invoke({
          module: fn.module,
          name: fn.name,
          hash: fn.hash,
          capacityMiB: 64,
          input: INPUT,
          signal: AbortSignal.abort(new FlError(ErrorCode.Timeout, 'dropped before it started')),
          onStart: () => starts++,
        }),
        ErrorCode.Timeout,
        /dropped before it started/,
      );
      assert.equal(starts, 0);
    });

    test('a drop of the held version forgets it', async () => {
      const fn = await echoVersion('dropped');
      await runtime.store(fn);
      assert.equal(await runtime.drop(fn), true);
      assert.ok(!runtime.list().some((r) => r.name === 'dropped'));
      assert.deepEqual(await call(fn), { type: 'missing' });
      assert.equal(await runtime.drop(fn), false);
    });
  });
}
