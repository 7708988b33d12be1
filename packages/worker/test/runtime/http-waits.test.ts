// A guest waiting for an outbound HTTP answer does not hold one of the pool's threads, and every
// outbound request says how deep its chain of functions calling functions is (docs/runtime.md,
// "Functions calling functions").
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';

import { eventually, httpGetWat, wat, watFixture } from '@funless/testing';

import type { Runtime } from '../../src/index.js';
import { fn, json, run, text, withRuntime } from './helpers.js';

describe('outbound HTTP waits and chain depth', () => {
  let server: Server;
  let base: string;
  /** What the server does with a request, per test. */
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('{}');

  before(async () => {
    server = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // The test server is on loopback, which functions reach only when the allow-list opens it.
  const http = { allowList: ['127.0.0.1'] };

  /** The server answers each request with the result of `hello` run on `runtime`: a nested call. */
  function answerWithNestedCall(runtime: Runtime, hello: ReturnType<typeof fn>, seen: number[]): void {
    handle = (_req, res) => {
      seen.push(runtime.stats().threads);
      runtime.invoke({ ...hello, capacityMiB: 64, input: json({ name: 'inner' }), timeoutMs: 5_000 }).then(
        (outcome) => res.end(outcome.type === 'result' ? Buffer.from(outcome.result) : '"missing"'),
        (err: Error) => res.end(JSON.stringify({ failed: err.message })),
      );
    };
  }

  test('with one thread, a function whose request needs another invocation on the same runtime gets its answer', async () => {
    await withRuntime({ threads: 1, threadIdleMs: 50, http }, async (runtime) => {
      const hello = fn(await watFixture('hello'));
      const outer = fn(await wat(httpGetWat(`${base}/nested`)));
      await runtime.store(hello);
      await runtime.store(outer);
      const threadsSeen: number[] = [];
      answerWithNestedCall(runtime, hello, threadsSeen);
      // Before, the inner invocation waited in the queue for the thread the outer one held, until
      // the outer's time limit ended both.
      const out = await run(runtime, { ...outer, capacityMiB: 64, input: {}, timeoutMs: 5_000 });
      assert.deepEqual(out.result, { payload: 'Hello inner!' });
      assert.deepEqual(threadsSeen, [1]);
      // The thread started for the inner call was beyond `threads`: it ends once idle (50 ms here).
      await eventually(() => runtime.stats().threads === 1, 'back to one thread');
      assert.equal(runtime.stats().waitingHttp, 0);
    });
  });

  test('no more than maxThreads threads run, waiting ones included; beyond them the time limits end the waits', async () => {
    await withRuntime({ threads: 1, maxThreads: 2, http }, async (runtime) => {
      const hello = fn(await watFixture('hello'));
      const outer = fn(await wat(httpGetWat(`${base}/nested`)));
      await runtime.store(hello);
      await runtime.store(outer);
      const threadsSeen: number[] = [];
      answerWithNestedCall(runtime, hello, threadsSeen);
      // Three outer calls on two threads at most: the first two wait for inner calls queued behind
      // the third, so the time limit ends their waits: either the request is cut at the time left
      // (the guest then answers null) or, on a busy machine, the thread is stopped first.
      const calls = Array.from({ length: 3 }, () =>
        run(runtime, { ...outer, capacityMiB: 64, input: {}, timeoutMs: 1_000 }).then(
          (out) => out.result,
          (err: Error) => err.message,
        ),
      );
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, runtime.stats().threads)), 1);
      try {
        const results = await Promise.all(calls);
        assert.equal(results.length, 3);
        const endedByLimit = (r: unknown) =>
          r === null || (typeof r === 'string' && r.includes('passed its time limit'));
        assert.ok(results.some(endedByLimit), `a wait ended at its time limit: ${JSON.stringify(results)}`);
      } finally {
        clearInterval(sampler);
      }
      assert.ok(Math.max(peak, ...threadsSeen) <= 2, `at most 2 threads, saw ${peak}`);
    });
  });

  test('every outbound request carries X-Fl-Chain-Depth: the invocation depth + 1, replacing the guest’s own', async () => {
    await withRuntime({ threads: 1, http }, async (runtime) => {
      const depths: (string | string[] | undefined)[] = [];
      handle = (req, res) => {
        depths.push(req.headers['x-fl-chain-depth']);
        res.end('{"ok":true}');
      };
      const forging = fn(await wat(httpGetWat(`${base}/depth`, { headers: 'X-Fl-Chain-Depth: 0' })));
      await runtime.store(forging);
      const atDepth = async (chainDepth?: number) => {
        const outcome = await runtime.invoke({
          ...forging,
          capacityMiB: 64,
          input: json({}),
          ...(chainDepth === undefined ? {} : { chainDepth }),
        });
        assert.equal(outcome.type === 'result' && text(outcome.result), '{"ok":true}');
      };
      await atDepth();
      await atDepth(4);
      assert.deepEqual(depths, ['1', '5']);
    });
  });
});
