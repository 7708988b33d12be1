// Functions calling functions through the Core's API, with a Worker process of one thread: a chain
// deeper than the Worker's threads completes, and one deeper than FL_MAX_CHAIN_DEPTH is refused
// with 508 chain_too_deep at the first call too deep (docs/runtime.md, "Functions calling
// functions").
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { cFixture, eventually } from '@funless/testing';

import type { CoreCluster } from '../../src/index.js';
import { startClusterCore } from './support/cluster-core.js';
import type { RunningCore } from '../../src/index.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'chain-test-secret-0123456789';
const ADMIN = 'chain-test-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };
const MAX_DEPTH = 4;

let dir: string;
let core: RunningCore;
let cluster: CoreCluster;
let worker: WorkerProcess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fl-chain-'));
  ({ core, cluster } = await startClusterCore(
    {
      FL_DATA_DIR: dir,
      FL_DISCOVERY: 'off',
      FL_CLUSTER_SECRET: SECRET,
    },
    {
      adminToken: ADMIN,
      maxChainDepth: MAX_DEPTH,
      // Bounds the wait of a chain that cannot complete (each link waits for the next).
      invokeTimeoutMs: 15_000,
    },
  ));
  worker = spawnWorker('w1', join(dir, 'worker'), {
    FL_CORE_URL: core.url,
    FL_CLUSTER_SECRET: SECRET,
    FL_WORKER_MEMORY_MIB: '256',
    FL_WORKER_THREADS: '1',
    // Functions reach the Core's own API (on loopback) only when the allow-list names it.
    FL_HTTP_ALLOW: '127.0.0.1',
  });
  await eventually(() => cluster.workerNames().includes('w1'), 'the Worker joined');
  const form = new FormData();
  form.set('name', 'chain');
  form.set('code', new Blob([await cFixture('chain')]), 'chain.wasm');
  form.set('metadata', JSON.stringify({ capacity: 2 }));
  const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth, body: form });
  assert.equal(res.status, 201, await res.text());
});

after(async () => {
  await worker?.stop('SIGKILL');
  await core?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Invokes `chain` asking for `n` more calls of itself below this one. */
async function chain(n: number, headers: Record<string, string> = {}) {
  const url = `${core.url}/v1/fn/_/chain`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ args: { url, token: ADMIN, n } }),
  });
  return { status: res.status, body: await res.json() };
}

interface Level {
  status: number;
  body: { data?: Level | string; errors?: { detail: string } };
}

/** Follows the answers down the chain: the statuses of the calls the functions made, top first. */
function unwind(top: unknown): { statuses: number[]; bottom: unknown } {
  const statuses: number[] = [];
  let data = (top as { data: Level | string }).data;
  while (typeof data === 'object' && data !== null && 'status' in data) {
    statuses.push(data.status);
    if (data.body.data === undefined) return { statuses, bottom: data.body };
    data = data.body.data;
  }
  return { statuses, bottom: data };
}

test(`a chain of ${MAX_DEPTH + 1} invocations on a Worker of one thread completes`, async () => {
  // Before, the first call's thread waited in __http_request for the second invocation, which
  // waited in the queue for that very thread until the time limit ended both.
  const res = await chain(MAX_DEPTH);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(unwind(res.body), { statuses: Array(MAX_DEPTH).fill(200), bottom: 'bottom' });
});

test('a chain deeper than FL_MAX_CHAIN_DEPTH is refused with 508 chain_too_deep at the first call too deep', async () => {
  const before = cluster.counters.invocations;
  const res = await chain(MAX_DEPTH + 3);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { statuses, bottom } = unwind(res.body);
  // Depths 0 to MAX_DEPTH ran; the call from the last one, at depth MAX_DEPTH + 1, was refused.
  assert.deepEqual(statuses, [...Array(MAX_DEPTH).fill(200), 508]);
  assert.match(
    (bottom as { errors: { detail: string } }).errors.detail,
    new RegExp(
      `at depth ${MAX_DEPTH + 1} of a chain of functions calling functions .* deeper than the ${MAX_DEPTH} this Core allows \\(FL_MAX_CHAIN_DEPTH\\): refused before it ran`,
    ),
  );
  assert.equal(cluster.counters.invocations - before, MAX_DEPTH + 1, 'the refused call placed nothing');
});

test('a client request naming a depth over the limit is refused before anything runs; a malformed one is 400', async () => {
  const before = cluster.counters.invocations;
  const deep = await chain(0, { 'X-Fl-Chain-Depth': String(MAX_DEPTH + 1) });
  assert.equal(deep.status, 508);
  const atLimit = await chain(0, { 'X-Fl-Chain-Depth': String(MAX_DEPTH) });
  assert.equal(atLimit.status, 200);
  assert.deepEqual(atLimit.body, { data: 'bottom' });
  const bad = await chain(0, { 'X-Fl-Chain-Depth': 'deep' });
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.body), /X-Fl-Chain-Depth must be one non-negative integer/);
  assert.equal(cluster.counters.invocations - before, 1, 'only the call at the limit ran');
});
