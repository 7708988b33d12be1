// A saturated Worker process: when the Core gives up on invocations still waiting in the Worker's
// queue, they are dropped and never run, and each caller's 504 says whether its invocation started
// (docs/architecture.md, "Failures").
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { eventually, httpGetWat, wat, watFixture } from '@funless/testing';

import type { CoreCluster } from '../../src/index.js';
import { startClusterCore } from './support/cluster-core.js';
import type { RunningCore } from '../../src/index.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'queue-test-secret-0123456789';
const ADMIN = 'queue-test-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };
/** The invocations' time limit and the Core's grace beyond it: the Core waits 1000 ms in all. */
const TIME_LIMIT_MS = 400;
const GRACE_MS = 600;
const CALLERS = 10;

let dir: string;
let core: RunningCore;
let cluster: CoreCluster;
let worker: WorkerProcess;
/** Counts the executions: each run of the sleeper makes one request here before it loops. */
let counter: Server;
let hits = 0;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fl-queue-'));
  counter = createServer((_req, res) => {
    hits++;
    res.end('{}');
  });
  await new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve));
  ({ core, cluster } = await startClusterCore(
    { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET },
    {
      adminToken: ADMIN,
      invokeTimeoutMs: TIME_LIMIT_MS,
    },
    { invokeGraceMs: GRACE_MS },
  ));
  // One thread: every invocation but the first waits in the Worker's queue.
  worker = spawnWorker('w1', join(dir, 'worker'), {
    FL_CORE_URL: core.url,
    FL_CLUSTER_SECRET: SECRET,
    FL_WORKER_MEMORY_MIB: '256',
    FL_WORKER_THREADS: '1',
    // The counter is on loopback, which functions reach only when the allow-list opens it.
    FL_HTTP_ALLOW: '127.0.0.1',
  });
  await eventually(() => cluster.workerNames().includes('w1'), 'the Worker joined');
});

after(async () => {
  await worker?.stop('SIGKILL');
  await core?.close();
  counter?.closeAllConnections();
  await new Promise((resolve) => counter?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function upload(name: string, code: Uint8Array): Promise<void> {
  const form = new FormData();
  form.set('name', name);
  form.set('code', new Blob([code]), `${name}.wasm`);
  form.set('metadata', JSON.stringify({ capacity: 1 }));
  const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth, body: form });
  assert.equal(res.status, 201, await res.text());
}

async function invoke(name: string): Promise<{ status: number; detail?: string; body: unknown }> {
  const res = await fetch(`${core.url}/v1/fn/_/${name}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ args: { name: 'after' } }),
  });
  const body = (await res.json()) as { errors?: { detail: string } };
  return { status: res.status, detail: body.errors?.detail, body };
}

test('invocations the Core gave up on while they waited in the queue never run, and their 504 says so', async () => {
  const counterUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}/ran`;
  await upload('sleeper', await wat(httpGetWat(counterUrl, { then: 'loop' })));
  await upload('hello', await watFixture('hello'));

  const answers = await Promise.all(Array.from({ length: CALLERS }, () => invoke('sleeper')));
  const waited = TIME_LIMIT_MS + GRACE_MS;
  const kinds = answers.map(({ status, detail }) => {
    assert.equal(status, 504, detail);
    if (
      detail ===
      `_/sleeper did not start within ${waited} ms: it waited in Worker "w1"'s queue and was dropped, so it did not run`
    ) {
      return 'dropped';
    }
    if (detail?.startsWith(`_/sleeper started on Worker "w1" but did not finish within ${waited} ms`)) {
      return 'started';
    }
    // Started early enough for the Worker's own time limit to stop it before the Core gave up.
    assert.match(detail ?? '', new RegExp(`passed its time limit of ${TIME_LIMIT_MS} ms and was stopped`));
    return 'stopped';
  });
  const dropped = kinds.filter((k) => k === 'dropped').length;
  assert.ok(dropped > 0, `some invocations waited in the queue until the Core gave up: ${kinds.join(', ')}`);
  assert.equal(cluster.counters.dropped, dropped);

  // The queue is first in, first out: once an invocation sent after every answer has run, nothing
  // sent before it can still be waiting to start. So the count of executions is final. (Were the
  // dropped ones still queued, this would wait behind them: it is tried until it gets through.)
  const barrier = await eventually(
    async () => {
      const res = await invoke('hello');
      return res.status === 200 ? res : undefined;
    },
    'an invocation sent after the answers ran',
    { timeoutMs: 30_000 },
  );
  assert.deepEqual(barrier.body, { data: { payload: 'Hello after!' } });
  const ran = CALLERS - dropped;
  await eventually(
    () => hits >= ran,
    () => `${ran} executions counted (${hits} so far)`,
  );
  assert.equal(hits, ran, `${hits} executions for ${ran} invocations that started (${kinds.join(', ')})`);
});
