import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from '@funless/testing';
import { startWorker } from '@funless/worker';
import type { WorkerHandle } from '@funless/worker';
import { pino } from 'pino';

import { coreClusterFromEnv, CoreCluster, startCore } from '../../src/index.js';
import type { RunningCore } from '../../src/index.js';

const SECRET = 'in-process-platform-secret-0123456789';

/** A listening Core with one Worker of this process joined over the in-process link. */
export interface InProcessPlatform {
  core: RunningCore;
  cluster: CoreCluster;
  worker: WorkerHandle;
  adminToken: string;
  metricsToken: string;
  /** Uploads a function to the default module `_` (201 expected). */
  upload(name: string, code: Uint8Array, metadata?: { capacity?: number; tag?: string }): Promise<void>;
  /** Invokes `_/<name>` with `args`: its status and body. */
  invoke(name: string, args?: unknown): Promise<{ status: number; text: string }>;
  /** `GET /metrics` with `token` (default the admin token; null sends none). */
  metrics(token?: string | null): Promise<{ status: number; contentType: string; text: string }>;
  close(): Promise<void>;
}

/** Starts a Core (SQLite in a temp directory, port 0) and one in-process Worker, and waits for the join. */
export async function startInProcessPlatform(
  options: { reportIntervalMs?: number; workerName?: string; memoryMiB?: number } = {},
): Promise<InProcessPlatform> {
  const dir = await mkdtemp(join(tmpdir(), 'fl-platform-'));
  const adminToken = `admin-token-${process.pid}-0123456789`;
  const metricsToken = `metrics-token-${process.pid}-0123456789`;
  const { factory } = await coreClusterFromEnv(
    { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET },
    options.reportIntervalMs === undefined ? {} : { reportIntervalMs: options.reportIntervalMs },
  );
  let cluster: CoreCluster | undefined;
  const core = await startCore({
    port: 0,
    dataDir: dir,
    adminToken,
    metricsToken,
    logger: pino({ level: 'silent' }),
    cluster: (ctx) => {
      const built = factory(ctx);
      assert.ok(built instanceof CoreCluster);
      cluster = built;
      return built;
    },
  });
  assert.ok(cluster);
  const inProcess = cluster;
  const worker = await startWorker({
    dataDir: join(dir, 'worker'),
    secret: SECRET,
    name: options.workerName ?? 'in-process-worker',
    memoryMiB: options.memoryMiB ?? 512,
    runtime: { threads: 1 },
    cores: [{ url: `in-process:${inProcess.coreId}`, dial: () => inProcess.connectInProcess() }],
  });
  await eventually(() => inProcess.workerNames().length === 1, 'the Worker joined');
  const auth = (token: string | null = adminToken): Record<string, string> =>
    token === null ? {} : { authorization: `Bearer ${token}` };
  return {
    core,
    cluster: inProcess,
    worker,
    adminToken,
    metricsToken,
    async upload(name, code, metadata) {
      const form = new FormData();
      form.set('name', name);
      form.set('code', new Blob([code]), `${name}.wasm`);
      if (metadata) form.set('metadata', JSON.stringify(metadata));
      const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth(), body: form });
      assert.equal(res.status, 201, await res.text());
    },
    async invoke(name, args = {}) {
      const res = await fetch(`${core.url}/v1/fn/_/${name}`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: JSON.stringify({ args }),
      });
      return { status: res.status, text: await res.text() };
    },
    async metrics(token) {
      const res = await fetch(`${core.url}/metrics`, { headers: auth(token) });
      return {
        status: res.status,
        contentType: res.headers.get('content-type') ?? '',
        text: await res.text(),
      };
    },
    async close() {
      await worker.close();
      await core.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
