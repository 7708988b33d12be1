// A Worker process runs guests that print on every stream and then trap, or time out: their lines
// cross the link with the error and are in the activation record; the answer stays what it was.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, watFixture } from '@funless/testing';
import { pino } from 'pino';

import { coreClusterFromEnv, CoreCluster, startCore } from '../../src/index.js';
import type { RunningCore } from '../../src/index.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'activation-logs-secret-0123456789';
const ADMIN = 'activation-logs-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };

describe('the lines a guest prints, from a Worker process to the activation record', () => {
  let dir: string;
  let core: RunningCore;
  let cluster: CoreCluster;
  let worker: WorkerProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-activation-logs-'));
    const { factory } = await coreClusterFromEnv({
      FL_DATA_DIR: dir,
      FL_DISCOVERY: 'off',
      FL_CLUSTER_SECRET: SECRET,
    });
    core = await startCore({
      port: 0,
      dataDir: dir,
      adminToken: ADMIN,
      invokeTimeoutMs: 500,
      logger: pino({ level: 'silent' }),
      cluster: (ctx) => {
        const built = factory(ctx);
        assert.ok(built instanceof CoreCluster);
        cluster = built;
        return built;
      },
    });
    worker = spawnWorker('w_logs', join(dir, 'worker'), {
      FL_CORE_URL: core.url,
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_THREADS: '1',
      FL_WORKER_MEMORY_MIB: '256',
      FL_INVOKE_TIMEOUT_MS: '500',
    });
    await eventually(() => cluster.workerNames().includes('w_logs'), 'the Worker joined');
    for (const [name, fixture] of [
      ['trapping', 'log-then-trap'],
      ['looping', 'log-then-loop'],
      ['hello', 'hello'],
    ] as const) {
      const form = new FormData();
      form.set('name', name);
      form.set('code', new Blob([await watFixture(fixture)]), `${name}.wasm`);
      const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth, body: form });
      assert.equal(res.status, 201, await res.text());
    }
  });

  after(async () => {
    await worker?.stop('SIGKILL');
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const invoke = (name: string) =>
    fetch(`${core.url}/v1/fn/_/${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"args":{"name":"Bob"}}',
    });
  const record = async (id: string) =>
    (
      (await (await fetch(`${core.url}/v1/activations/${id}`, { headers: auth })).json()) as {
        data: Record<string, unknown>;
      }
    ).data;

  test('a guest that prints on every stream, then traps: its lines are in the record, the answer is the trap', async () => {
    const res = await invoke('trapping');
    assert.equal(res.status, 422);
    assert.deepEqual(await res.json(), { errors: { detail: 'Error: the function trapped: unreachable' } });
    const id = res.headers.get('x-fl-activation-id')!;
    const a = await record(id);
    assert.equal(a.status, 'trap');
    assert.equal(a.worker, 'w_logs');
    assert.deepEqual(a.logs, [
      { stream: 'console', text: 'from console' },
      { stream: 'stdout', text: 'to stdout' },
      { stream: 'stderr', text: 'to stderr, no line break' },
    ]);
    assert.equal(a.logs_truncated, false);
    assert.equal(typeof a.duration_ms, 'number', 'the time in the guest came with the error');
    const logs = (await (await fetch(`${core.url}/v1/activations/${id}/logs`, { headers: auth })).json()) as {
      data: unknown[];
    };
    assert.deepEqual(logs.data, a.logs);
  });

  test('a guest stopped at its time limit: the lines it printed before are in the record, the answer is 504', async () => {
    const res = await invoke('looping');
    assert.equal(res.status, 504);
    const a = await record(res.headers.get('x-fl-activation-id')!);
    assert.equal(a.status, 'timeout');
    assert.deepEqual(a.logs, [
      { stream: 'console', text: 'from console' },
      { stream: 'stdout', text: 'to stdout' },
      { stream: 'stderr', text: 'to stderr' },
    ]);
    assert.ok((a.duration_ms as number) >= 500, `ran ${String(a.duration_ms)} ms`);
  });

  test('a guest that prints nothing has no lines, and its answer is its result', async () => {
    const res = await invoke('hello');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: { payload: 'Hello Bob!' } });
    const a = await record(res.headers.get('x-fl-activation-id')!);
    assert.deepEqual(a.logs, []);
    assert.equal(typeof a.duration_ms, 'number');
  });
});
