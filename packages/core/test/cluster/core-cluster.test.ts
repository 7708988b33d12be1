// The Core's side of the link against simulated Workers (no runtime, one process): protocol
// checks, refusals, relaying, time bounds and liveness.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { ErrorCode, LINK_PROTOCOL_VERSION, LinkCloseCode, SYNC_BATCH } from '@funless/protocol';
import { eventually, rejectsWith } from '@funless/testing';

import { CoreCluster } from '../../src/cluster/index.js';
import type { CoreClusterOptions } from '../../src/cluster/index.js';
import type { PlacementPolicy, PlacementRequest, WorkerView } from '../../src/scheduling/index.js';
import { SimulatedWorker } from './support/simulated-worker.js';
import type { SimulatedWorkerOptions } from './support/simulated-worker.js';

const SECRET = 'core-cluster-test-secret-42';
const FN = { module: '_', name: 'f', hash: 'a'.repeat(64), tag: 'default', capacityMiB: 64 };

interface Setup {
  cluster: CoreCluster;
  url: string;
  worker(name: string, options?: Partial<SimulatedWorkerOptions>): SimulatedWorker;
  code: Map<string, { hash: string; code: Uint8Array }>;
  close(): Promise<void>;
}

async function setup(options: Partial<CoreClusterOptions> = {}): Promise<Setup> {
  const server: Server = createServer((_req, res) => res.end());
  const code = new Map<string, { hash: string; code: Uint8Array }>();
  const cluster = new CoreCluster({
    secret: SECRET,
    server,
    store: { getFunctionWithCode: (m, n) => Promise.resolve(code.get(`${m}/${n}`)) },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sims: SimulatedWorker[] = [];
  return {
    cluster,
    url,
    code,
    worker(name, o = {}) {
      const sim = new SimulatedWorker({ url, name, secret: SECRET, ...o });
      sims.push(sim);
      return sim;
    },
    async close() {
      for (const s of sims) s.close();
      await cluster.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The JSON bytes of a value, as the invoke route hands args to the cluster. */
function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** An invocation's raw result, parsed. */
async function parsed(result: Promise<Uint8Array>): Promise<unknown> {
  return JSON.parse(Buffer.from(await result).toString()) as unknown;
}

test('with no Worker connected an invocation fails at once with no_worker and says why', async () => {
  const s = await setup();
  try {
    await rejectsWith(s.cluster.invoke(FN, json({})), ErrorCode.NoWorker, /no Worker is connected/);
  } finally {
    await s.close();
  }
});

test('an invocation is relayed to a Worker and its result or error comes back', async () => {
  const s = await setup();
  try {
    const w = s.worker('w1', {
      onInvoke: (m) => {
        const input = JSON.parse(Buffer.from(m.input).toString()) as { fail?: boolean };
        return input.fail
          ? { type: 'invoke_error', id: m.id, error: { code: ErrorCode.GuestError, message: 'Error: no' } }
          : {
              type: 'result',
              id: m.id,
              result: json({ got: input, capacity: m.capacityMiB }),
              durationMs: 1,
            };
      },
    });
    await w.joined;
    assert.deepEqual(await parsed(s.cluster.invoke(FN, json({ x: 1 }))), { got: { x: 1 }, capacity: 64 });
    await rejectsWith(s.cluster.invoke(FN, json({ fail: true })), ErrorCode.GuestError, /Error: no/);
    const [info] = s.cluster.workers();
    assert.equal(info!.inFlight, 0);
    assert.equal(info!.memoryFreeMiB, 1024);
  } finally {
    await s.close();
  }
});

test('a Worker with the wrong secret is refused with unauthorized and close code 4001', async () => {
  const s = await setup();
  try {
    const w = s.worker('intruder', { secret: 'some-other-secret-value' });
    await assert.rejects(w.joined, /unauthorized: wrong cluster secret/);
    assert.equal(await w.closed, LinkCloseCode.Unauthorized);
    assert.deepEqual(s.cluster.workerNames(), []);
    assert.equal(s.cluster.counters.refused, 1);
  } finally {
    await s.close();
  }
});

test('a Worker speaking another protocol version is refused with 4002', async () => {
  const s = await setup();
  try {
    const w = s.worker('old', { protocol: 99 });
    await assert.rejects(
      w.joined,
      new RegExp(`link protocol 99 is not this Core's ${LINK_PROTOCOL_VERSION}`),
    );
    assert.equal(await w.closed, LinkCloseCode.VersionMismatch);
  } finally {
    await s.close();
  }
});

test('a bad frame closes the link with 4000 and the Worker leaves scheduling', async () => {
  const s = await setup();
  try {
    const w = s.worker('w1');
    await w.joined;
    w.sendFrame(Buffer.from([1, 0, 0, 0, 2, 123, 125])); // header "{}": no type
    assert.equal(await w.closed, LinkCloseCode.ProtocolError);
    await eventually(() => s.cluster.workerNames().length === 0, 'the Worker left');
  } finally {
    await s.close();
  }
});

test('a Worker that goes silent leaves after the liveness limit; its invocation fails with worker_lost', async () => {
  const s = await setup({ livenessTimeoutMs: 300 });
  try {
    const w = s.worker('mute', { alive: false, onInvoke: () => undefined });
    await w.joined;
    const started = Date.now();
    const invocation = s.cluster.invoke(FN, json({}));
    await rejectsWith(invocation, ErrorCode.WorkerLost, /"mute" disconnected/);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 250, `failed after ${elapsed} ms, before the liveness limit`);
    assert.deepEqual(s.cluster.workerNames(), []);
    assert.equal(await w.closed, LinkCloseCode.LivenessTimeout);
  } finally {
    await s.close();
  }
});

test('a Worker that disconnects fails its in-flight invocations at once, and they are not retried', async () => {
  const s = await setup();
  try {
    let runs = 0;
    const w = s.worker('w1', {
      onInvoke: () => {
        runs++;
        return undefined;
      },
    });
    await w.joined;
    const invocation = s.cluster.invoke(FN, json({}));
    await eventually(() => runs === 1, 'the invocation reached the Worker');
    w.close();
    // worker_lost, not the timeout its time limit would give: it failed on the disconnect.
    await rejectsWith(invocation, ErrorCode.WorkerLost);
    assert.equal(runs, 1);
  } finally {
    await s.close();
  }
});

test('an invocation nobody answers fails with timeout after its limit, the grace and the wait for the cancel', async () => {
  const s = await setup({ invokeGraceMs: 50, cancelTimeoutMs: 60 });
  try {
    const w = s.worker('slow', { onInvoke: () => undefined });
    await w.joined;
    const started = Date.now();
    await rejectsWith(
      s.cluster.invoke(FN, json({}), { timeoutMs: 100 }),
      ErrorCode.Timeout,
      /^_\/f did not finish within 150 ms, and Worker "slow" did not say within 60 ms more whether it had started$/,
    );
    assert.ok(Date.now() - started >= 200);
    const invoke = await w.waitFor('invoke');
    const cancel = await w.waitFor('cancel');
    assert.equal(cancel.id, invoke.id, 'the Core told the Worker it gave up on that invocation');
    assert.equal(s.cluster.workers()[0]!.inFlight, 0, 'the reservation is given back');
  } finally {
    await s.close();
  }
});

test('when the Core gives up, the Worker’s answer to the cancel says whether the invocation ran', async () => {
  const s = await setup({ invokeGraceMs: 50 });
  try {
    const dropping = s.worker('dropping', {
      onInvoke: () => undefined,
      onCancel: (m) => ({ type: 'cancel_reply', id: m.id, started: false }),
    });
    await dropping.joined;
    await rejectsWith(
      s.cluster.invoke(FN, json({}), { timeoutMs: 100 }),
      ErrorCode.Timeout,
      /^_\/f did not start within 150 ms: it waited in Worker "dropping"'s queue and was dropped, so it did not run$/,
    );
    assert.equal(s.cluster.counters.dropped, 1);
    dropping.close();
    await eventually(() => s.cluster.workerNames().length === 0, 'the first Worker left');

    const running = s.worker('running', {
      onInvoke: () => undefined,
      onCancel: (m) => ({ type: 'cancel_reply', id: m.id, started: true }),
    });
    await running.joined;
    await rejectsWith(
      s.cluster.invoke(FN, json({}), { timeoutMs: 100 }),
      ErrorCode.Timeout,
      /^_\/f started on Worker "running" but did not finish within 150 ms \(its time limit of 100 ms counts from its start\)$/,
    );
    assert.equal(s.cluster.counters.dropped, 1);
    running.close();
    await eventually(() => s.cluster.workerNames().length === 0, 'the second Worker left');

    // The result crossed the cancel on the way: it is the answer.
    const late = s.worker('late', {
      onInvoke: () => undefined,
      onCancel: (m) => ({ type: 'result', id: m.id, result: json({ late: true }), durationMs: 1 }),
    });
    await late.joined;
    assert.deepEqual(await parsed(s.cluster.invoke(FN, json({}), { timeoutMs: 100 })), { late: true });
  } finally {
    await s.close();
  }
});

test('a push waits for every Worker and reports the ones that did not acknowledge, without failing', async () => {
  const s = await setup({ pushTimeoutMs: 200 });
  try {
    const ok = s.worker('ok');
    const mute = s.worker('mute', { ack: false });
    await Promise.all([ok.joined, mute.joined]);
    const code = new Uint8Array([0, 97, 115, 109, 255]);
    const report = await s.cluster.functionStored({ ...FN, code }, { wait: true });
    assert.deepEqual(report.acknowledged, ['ok']);
    assert.equal(report.missing.length, 1);
    assert.equal(report.missing[0]!.worker, 'mute');
    assert.match(report.missing[0]!.reason, /did not answer .* within 200 ms/);
    assert.deepEqual([...ok.stored.get('_/f')!], [...code]);
    const quick = await s.cluster.functionStored({ ...FN, code }, { wait: false });
    assert.deepEqual(quick, { acknowledged: [], missing: [] });
    await s.cluster.functionDeleted(FN);
    assert.ok(!ok.stored.has('_/f'));
  } finally {
    await s.close();
  }
});

test('a code request gets the code when the hash matches, not_found when the function changed', async () => {
  const s = await setup();
  try {
    s.code.set('_/f', { hash: FN.hash, code: new Uint8Array([1, 2, 3]) });
    const w = s.worker('w1');
    await w.joined;
    w.send({ type: 'code_request', id: 1, module: '_', name: 'f', hash: FN.hash });
    w.send({ type: 'code_request', id: 2, module: '_', name: 'f', hash: 'b'.repeat(64) });
    w.send({ type: 'code_request', id: 3, module: '_', name: 'gone', hash: FN.hash });
    await eventually(() => w.received.filter((m) => m.type === 'code_reply').length === 3, 'three replies');
    const replies = w.received.filter((m) => m.type === 'code_reply');
    const byId = new Map(replies.map((r) => [r.id, r]));
    const first = byId.get(1)!;
    assert.ok(first.ok);
    assert.deepEqual([...first.code], [1, 2, 3]);
    const changed = byId.get(2)!;
    assert.ok(!changed.ok && /changed since/.test(changed.error.message));
    const gone = byId.get(3)!;
    assert.ok(
      !gone.ok && gone.error.code === ErrorCode.NotFound && /no longer exists/.test(gone.error.message),
    );
  } finally {
    await s.close();
  }
});

test('a Worker rejoining under the same name replaces its older link', async () => {
  const s = await setup();
  try {
    const first = s.worker('same');
    await first.joined;
    const second = s.worker('same');
    await second.joined;
    assert.equal(await first.closed, LinkCloseCode.Replaced);
    assert.deepEqual(s.cluster.workerNames(), ['same']);
    assert.deepEqual(await parsed(s.cluster.invoke(FN, json(7))), 7);
  } finally {
    await s.close();
  }
});

test('a connection that never joins is closed after the handshake limit', async () => {
  const s = await setup({ handshakeTimeoutMs: 100 });
  try {
    const { default: WebSocket } = await import('ws');
    const raw = new WebSocket(`${s.url}/v1/link`);
    const code = await new Promise<number>((resolve) => raw.on('close', resolve));
    assert.equal(code, LinkCloseCode.ProtocolError);
  } finally {
    await s.close();
  }
});

test('cluster options are checked where they enter', () => {
  const store = { getFunctionWithCode: () => Promise.resolve(undefined) };
  assert.throws(() => new CoreCluster({ secret: 'short', store }), /secret must be a string of at least 16/);
  assert.throws(
    () => new CoreCluster({ secret: SECRET, store, livenessTimeoutMs: 0 }),
    /livenessTimeoutMs must be a positive integer/,
  );
});

test('an invocation is placed by the policy handed to it, the default policy without one', async () => {
  const s = await setup();
  try {
    const answer = (name: string) => (m: { id: number }) => ({
      type: 'result' as const,
      id: m.id,
      result: json(name),
      durationMs: 0,
    });
    const first = s.worker('first', { memoryMiB: 4096, onInvoke: answer('first') });
    const second = s.worker('second', { memoryMiB: 1024, onInvoke: answer('second') });
    await Promise.all([first.joined, second.joined]);
    assert.equal(
      await parsed(s.cluster.invoke(FN, json({}))),
      'first',
      'the default policy takes the most free',
    );
    const seen: { workers: string[]; req: PlacementRequest }[] = [];
    const pickSecond: PlacementPolicy = (workers: readonly WorkerView[], req) => {
      seen.push({ workers: workers.map((w) => w.name).sort(), req });
      return { ok: true, worker: 'second' };
    };
    assert.equal(await parsed(s.cluster.invoke(FN, json({}), { policy: pickSecond })), 'second');
    assert.equal(seen.length, 1, 'the policy decides once');
    assert.deepEqual(seen[0]?.workers, ['first', 'second']);
    assert.equal(seen[0]?.req.capacityMiB, FN.capacityMiB);
    assert.equal(seen[0]?.req.tag, FN.tag);
    await rejectsWith(
      s.cluster.invoke(FN, json({}), { policy: () => ({ ok: false, reason: 'the script says no' }) }),
      ErrorCode.NoWorker,
      /no Worker can run _\/f: the script says no/,
    );
    await rejectsWith(
      s.cluster.invoke(FN, json({}), { policy: () => ({ ok: true, worker: 'elsewhere' }) }),
      ErrorCode.NoWorker,
      /Worker "elsewhere" chosen for _\/f is gone/,
    );
  } finally {
    await s.close();
  }
});

test('a Worker that joins is sent every stored function at its hash, in parts, the last marked', async () => {
  const refs = Array.from({ length: SYNC_BATCH + 5 }, (_, i) => ({
    module: 'm',
    name: `f${i}`,
    hash: (i % 16).toString(16).repeat(64),
  }));
  const s = await setup({
    store: {
      getFunctionWithCode: () => Promise.resolve(undefined),
      listFunctionRefs: () => Promise.resolve(refs),
    },
  });
  try {
    const w = s.worker('w1');
    await w.joined;
    await eventually(() => w.received.some((m) => m.type === 'sync' && m.last), 'the last sync part arrived');
    const parts = w.received.filter((m) => m.type === 'sync');
    assert.deepEqual(
      parts.map((p) => p.type === 'sync' && [p.functions.length, p.last]),
      [
        [SYNC_BATCH, false],
        [5, true],
      ],
    );
    assert.deepEqual(
      parts.flatMap((p) => (p.type === 'sync' ? p.functions : [])),
      refs,
    );
  } finally {
    await s.close();
  }
});

test('with no functions stored the sync is one empty, last part; a store without a list sends none', async () => {
  const empty = await setup({
    store: {
      getFunctionWithCode: () => Promise.resolve(undefined),
      listFunctionRefs: () => Promise.resolve([]),
    },
  });
  const none = await setup();
  try {
    const w = empty.worker('w1');
    await w.joined;
    const sync = await w.waitFor('sync');
    assert.deepEqual(sync, { type: 'sync', functions: [], last: true });
    const v = none.worker('w2');
    await v.joined;
    // An invocation sent after the join arrives after anything the Core sent on joining.
    await none.cluster.invoke(FN, json({}));
    assert.equal(
      v.received.some((m) => m.type === 'sync'),
      false,
    );
  } finally {
    await empty.close();
    await none.close();
  }
});
