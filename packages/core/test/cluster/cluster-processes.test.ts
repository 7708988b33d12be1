// Core + Worker processes on loopback: the link, push, invoke, failures and restarts for real.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, wat, watFixture } from '@funless/testing';
import { pino } from 'pino';

import { coreClusterFromEnv, CoreCluster, startCore } from '../../src/index.js';
import type { RunningCore } from '../../src/index.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'cluster-test-secret-0123456789';
const ADMIN = 'cluster-test-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };

describe('a Core with Worker processes on loopback', () => {
  let dir: string;
  let core: RunningCore;
  let cluster: CoreCluster;
  let port = 0;
  const coreLog: string[] = [];
  const workers = new Map<string, WorkerProcess>();
  let helloCode: Uint8Array;
  let howdyCode: Uint8Array;

  async function startTheCore(): Promise<void> {
    const env = { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET };
    const { factory } = await coreClusterFromEnv(env, { pushTimeoutMs: 3_000 });
    const logger = pino({ level: 'info' }, { write: (line: string) => void coreLog.push(line) });
    core = await startCore({
      port,
      dataDir: dir,
      adminToken: ADMIN,
      logger,
      cluster: (ctx) => {
        const built = factory(ctx);
        assert.ok(built instanceof CoreCluster);
        cluster = built;
        return built;
      },
    });
    port = Number(new URL(core.url).port);
  }

  function worker(name: string, memoryMiB: number, env: Record<string, string> = {}): WorkerProcess {
    const w = spawnWorker(name, join(dir, `worker-${name}`), {
      FL_CORE_URL: core.url,
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_MEMORY_MIB: String(memoryMiB),
      FL_WORKER_THREADS: '2',
      FL_RECONNECT_MAX_DELAY_MS: '300',
      ...env,
    });
    workers.set(name, w);
    return w;
  }

  const joined = (...names: string[]) =>
    eventually(
      () => names.every((n) => cluster.workerNames().includes(n)),
      () => `${names.join(', ')} joined (now: ${cluster.workerNames().join(', ')})`,
    );

  async function upload(name: string, code: Uint8Array, method = 'POST'): Promise<Response> {
    const form = new FormData();
    if (method === 'POST') form.set('name', name);
    form.set('code', new Blob([code]), `${name}.wasm`);
    const url = method === 'POST' ? `${core.url}/v1/fn/_` : `${core.url}/v1/fn/_/${name}`;
    return fetch(url, { method, headers: auth, body: form });
  }

  function invoke(name: string, args: unknown = { name: 'Bob' }): Promise<Response> {
    return fetch(`${core.url}/v1/fn/_/${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ args }),
    });
  }

  const codeFile = (w: WorkerProcess, fn: string, hash: string) =>
    join(w.dataDir, 'code', '_', fn, `${hash}.wasm`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-cluster-'));
    helloCode = await watFixture('hello');
    const { readFile } = await import('node:fs/promises');
    const source = await readFile(
      new URL('../../../../testing/fixtures/wat/hello.wat', import.meta.url),
      'utf8',
    );
    howdyCode = await wat(source.replaceAll('Hello ', 'Howdy '));
    await startTheCore();
    worker('big', 256);
    worker('small', 128);
    await joined('big', 'small');
  });

  after(async () => {
    await Promise.all([...workers.values()].map((w) => w.stop('SIGKILL')));
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  let helloHash: string;

  test('a create pushes the code to every Worker before it answers', async () => {
    const res = await upload('hello', helloCode);
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { data: { hash: string; missing_workers?: unknown } };
    helloHash = body.data.hash;
    assert.equal(body.data.missing_workers, undefined);
    for (const name of ['big', 'small'])
      assert.ok(existsSync(codeFile(workers.get(name)!, 'hello', helloHash)), name);
  });

  test('an invocation runs on a Worker and its result is relayed', async () => {
    const res = await invoke('hello');
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: { payload: 'Hello Bob!' } });
  });

  test('an update replaces the code on every Worker and drops the old version', async () => {
    const res = await upload('hello', howdyCode, 'PUT');
    assert.equal(res.status, 200, await res.clone().text());
    const newHash = ((await res.json()) as { data: { hash: string } }).data.hash;
    assert.notEqual(newHash, helloHash);
    for (const name of ['big', 'small']) {
      const w = workers.get(name)!;
      assert.ok(existsSync(codeFile(w, 'hello', newHash)), `${name} has the new version`);
      assert.ok(!existsSync(codeFile(w, 'hello', helloHash)), `${name} dropped the old version`);
    }
    const invoked = await invoke('hello');
    assert.deepEqual(await invoked.json(), { data: { payload: 'Howdy Bob!' } });
    helloHash = newHash;
  });

  test('a delete makes every Worker drop the code, and the function is gone', async () => {
    const res = await fetch(`${core.url}/v1/fn/_/hello`, { method: 'DELETE', headers: auth });
    assert.equal(res.status, 204);
    for (const name of ['big', 'small']) {
      assert.ok(!existsSync(codeFile(workers.get(name)!, 'hello', helloHash)), `${name} dropped it`);
    }
    assert.equal((await invoke('hello')).status, 404);
  });

  test('a Worker that joins later serves its invocations with a single code transfer', async () => {
    assert.equal((await upload('late', helloCode)).status, 201);
    const before = cluster.counters.codeServed;
    const late = worker('late', 512); // the most free memory: the default policy picks it
    await joined('late');
    const results = await Promise.all([invoke('late'), invoke('late'), invoke('late')]);
    for (const r of results) assert.deepEqual(await r.json(), { data: { payload: 'Hello Bob!' } });
    assert.equal((await invoke('late', { name: 'Ann' })).status, 200);
    assert.equal(cluster.counters.codeServed - before, 1);
    assert.ok(existsSync(join(late.dataDir, 'code', '_', 'late')), 'the late joiner keeps the code');
    await late.stop();
    await eventually(() => !cluster.workerNames().includes('late'), 'the stopped Worker left');
  });

  test('a Worker that was away when a function was deleted drops its code when it rejoins', async () => {
    const dirOf = join(workers.get('late')!.dataDir, 'code', '_', 'late');
    const held = () => existsSync(dirOf) && readdirSync(dirOf).some((f) => f.endsWith('.wasm'));
    assert.ok(held(), 'the stopped Worker still holds the code');
    const res = await fetch(`${core.url}/v1/fn/_/late`, { method: 'DELETE', headers: auth });
    assert.equal(res.status, 204);
    assert.ok(held(), 'nobody could tell the stopped Worker');
    const back = worker('late', 512); // same name, same data directory
    await joined('late');
    await eventually(() => !held(), 'the rejoined Worker dropped the deleted function');
    await back.stop();
    await eventually(() => !cluster.workerNames().includes('late'), 'the stopped Worker left');
  });

  test('a Worker with a wrong secret is refused, and both sides log it', async () => {
    const intruder = worker('intruder', 4096, { FL_CLUSTER_SECRET: 'not-the-cluster-secret-at-all' });
    const line = await intruder.waitForLog(/refused this Worker/);
    assert.match(line, /wrong cluster secret/);
    await eventually(
      () => coreLog.some((l) => /wrong cluster secret/.test(l) && /intruder/.test(l)),
      'Core log',
    );
    assert.ok(!cluster.workerNames().includes('intruder'));
    await intruder.stop();
  });

  test('a Worker killed mid-invocation fails it with 503 (disconnected, not timed out); the next go elsewhere', async () => {
    assert.equal((await upload('loop', await watFixture('infinite-loop'))).status, 201);
    assert.equal((await upload('hello2', helloCode)).status, 201);
    const pending = invoke('loop', {});
    await eventually(
      () => cluster.workers().some((w) => w.name === 'big' && w.inFlight === 1),
      'the loop runs on big',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await workers.get('big')!.stop('SIGKILL');
    const res = await pending;
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { errors: { detail: string } }).errors.detail, /big.*disconnected/);
    assert.deepEqual(cluster.workerNames(), ['small']);
    for (let i = 0; i < 3; i++) assert.equal((await invoke('hello2')).status, 200);
    assert.equal(cluster.workers()[0]!.inFlight, 0);
  });

  test('a restarted Core gets its Workers back without help and has lost nothing', async () => {
    await core.close();
    await startTheCore();
    await joined('small');
    const res = await invoke('hello2', { name: 'again' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { data: { payload: 'Hello again!' } });
  });
});
