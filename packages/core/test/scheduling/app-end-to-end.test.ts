// A Core and three named Worker processes on loopback: APP scripts uploaded over REST place real
// invocations. The Core is wired as `fl core` wires it; the test only records each decision.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, watFixture } from '@funless/testing';
import { pino } from 'pino';

import { coreClusterFromEnv, startCore } from '../../src/index.js';
import type { RunningCore } from '../../src/index.js';
import { defaultPolicy } from '../../src/scheduling/index.js';
import type { Placement } from '../../src/scheduling/index.js';
import { spawnWorker } from '../cluster/support/worker-process.js';
import type { WorkerProcess } from '../cluster/support/worker-process.js';

const SECRET = 'app-e2e-secret-0123456789abcdef';
const ADMIN = 'app-e2e-admin-token-0123456789';
const auth = { authorization: `Bearer ${ADMIN}` };

/** The JSON answers these tests read: a result or an error. */
interface Answer {
  data?: unknown;
  errors?: { detail: string };
}

describe('APP scripts with three Worker processes', () => {
  let dir: string;
  let core: RunningCore;
  const workers: WorkerProcess[] = [];
  const decisions: { fn: string; placement: Placement }[] = [];
  let workerNames: () => string[] = () => [];

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Answer }> {
    const res = await fetch(`${core.url}${path}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Answer };
  }

  async function upload(name: string, metadata: { tag: string; capacity: number }): Promise<void> {
    const form = new FormData();
    form.set('name', name);
    form.set('code', new Blob([await watFixture('hello')]), `${name}.wasm`);
    form.set('metadata', JSON.stringify(metadata));
    const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth, body: form });
    assert.equal(res.status, 201, await res.text());
  }

  /** Invokes `fn` and answers the status and the Worker the Core chose. */
  async function invoke(
    fn: string,
    scheduling?: unknown,
  ): Promise<{ status: number; json: Answer; worker?: string }> {
    const before = decisions.length;
    const res = await call('POST', `/v1/fn/_/${fn}`, {
      args: { name: 'Bob' },
      ...(scheduling ? { scheduling } : {}),
    });
    const placement = decisions.slice(before).find((d) => d.fn === fn)?.placement;
    return { ...res, ...(placement?.ok ? { worker: placement.worker } : {}) };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-app-e2e-'));
    const env = { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET };
    const { factory } = await coreClusterFromEnv(env);
    core = await startCore({
      port: 0,
      dataDir: dir,
      adminToken: ADMIN,
      logger: pino({ level: 'silent' }),
      cluster: (ctx) => {
        const cluster = factory(ctx);
        // Records the decision of the policy the invoke route hands over (the default without one).
        const invoke = cluster.invoke.bind(cluster);
        cluster.invoke = (fn, input, options = {}) => {
          const policy = options.policy ?? defaultPolicy;
          return invoke(fn, input, {
            ...options,
            policy: (views, req) => {
              const placement = policy(views, req);
              decisions.push({ fn: fn.name, placement });
              return placement;
            },
          });
        };
        workerNames = () => cluster.workers().map((w) => w.name);
        return cluster;
      },
    });
    for (const [name, memory] of [
      ['edge1', 512],
      ['edge2', 512],
      ['cloud', 2048],
    ] as const) {
      workers.push(
        spawnWorker(name, join(dir, `worker-${name}`), {
          FL_CORE_URL: core.url,
          FL_CLUSTER_SECRET: SECRET,
          FL_WORKER_MEMORY_MIB: String(memory),
          FL_WORKER_THREADS: '2',
        }),
      );
    }
    await eventually(
      () => ['edge1', 'edge2', 'cloud'].every((n) => workerNames().includes(n)),
      'the three Workers joined',
      { timeoutMs: 20_000 },
    );
    await upload('pinned_fn', { tag: 'pinned', capacity: 64 });
    await upload('big_fn', { tag: 'big', capacity: 1024 });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('without a script the default policy takes the Worker with the most free memory', async () => {
    const res = await invoke('pinned_fn');
    assert.equal(res.status, 200);
    assert.equal(res.worker, 'cloud');
  });

  test('a script that pins a tag to one Worker sends every invocation there', async () => {
    const script = '- pinned:\n    - workers: [edge2]\n';
    assert.equal((await call('POST', '/v1/scripts/app', { name: 'pin_edge2', script })).status, 201);
    for (let i = 0; i < 5; i++) {
      const res = await invoke('pinned_fn', { language: 'app', script: 'pin_edge2' });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, { data: { payload: 'Hello Bob!' } });
      assert.equal(res.worker, 'edge2');
    }
  });

  test('a script whose Worker is gone falls back to the default entry', async () => {
    const script = [
      '- pinned:',
      '    - workers: [not_here]',
      '  followup: default',
      '- default:',
      '    - workers: [edge1]',
      '',
    ].join('\n');
    assert.equal((await call('POST', '/v1/scripts/app', { name: 'fallback', script })).status, 201);
    const res = await invoke('pinned_fn', { language: 'app', script: 'fallback' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.worker, 'edge1');
  });

  test('a script whose only Worker is full answers 503 naming the tag and why', async () => {
    const script = '- big:\n    - workers: [edge1]\n';
    assert.equal((await call('POST', '/v1/scripts/app', { name: 'edge1_only', script })).status, 201);
    const res = await invoke('big_fn', { language: 'app', script: 'edge1_only' });
    assert.equal(res.status, 503);
    assert.match(res.json.errors?.detail ?? '', /no Worker for tag "big" under script entry "big"/);
    assert.match(res.json.errors?.detail ?? '', /block 1 \(1 listed\): without 1024 MiB free: "edge1"/);
    // The same function fits elsewhere without the script.
    assert.equal((await invoke('big_fn')).worker, 'cloud');
  });

  test('an update of a script applies to the next invocation', async () => {
    const res = await call('PUT', '/v1/scripts/app/pin_edge2', {
      script: '- pinned:\n    - workers: [edge1]\n',
    });
    assert.equal(res.status, 200);
    assert.equal((await invoke('pinned_fn', { language: 'app', script: 'pin_edge2' })).worker, 'edge1');
  });

  test('an unknown script is 404', async () => {
    const res = await invoke('pinned_fn', { language: 'app', script: 'no_such_script' });
    assert.equal(res.status, 404);
    assert.equal(res.json.errors?.detail ?? '', 'APP script no_such_script not found');
  });
});
