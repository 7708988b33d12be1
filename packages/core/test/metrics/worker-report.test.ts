// A Worker process reports its machine's CPU use and load average over the WebSocket link (the
// frames are checked on arrival); the Core shows them in GET /v1/workers and GET /metrics.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { eventually } from '@funless/testing';

import { startClusterCore } from '../cluster/support/cluster-core.js';
import type { WorkerInfo } from '../../src/index.js';
import { spawnWorker } from '../cluster/support/worker-process.js';
import { PrometheusText } from '../support/prometheus-text.js';

const SECRET = 'worker-report-secret-0123456789';
const ADMIN = 'worker-report-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };

test('a Worker process reports CPU use, load average and threads over the link; /v1/workers and /metrics show them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fl-report-'));
  const env = { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET };
  const { core, cluster } = await startClusterCore(env, { adminToken: ADMIN }, { reportIntervalMs: 100 });
  const worker = spawnWorker('reporter', join(dir, 'worker'), {
    FL_CORE_URL: core.url,
    FL_CLUSTER_SECRET: SECRET,
    FL_WORKER_MEMORY_MIB: '256',
    FL_WORKER_THREADS: '2',
  });
  try {
    const workers = async (): Promise<WorkerInfo[]> => {
      const res = await fetch(`${core.url}/v1/workers`, { headers: auth });
      assert.equal(res.status, 200);
      return ((await res.json()) as { data: WorkerInfo[] }).data;
    };
    await eventually(async () => (await workers())[0]?.cpuUse != null, 'a report with the CPU use', {
      timeoutMs: 20_000,
    });
    const [info] = await workers();
    assert.ok(info);
    assert.equal(info.name, 'reporter');
    assert.equal(info.threads, 2);
    assert.ok(info.cpuUse !== null && info.cpuUse >= 0 && info.cpuUse <= 1, `cpuUse ${info.cpuUse}`);
    assert.ok(info.loadAverage);
    assert.equal(info.loadAverage.length, 3);
    for (const load of info.loadAverage) assert.ok(load >= 0, `load ${load}`);
    // The same machine: its 15-minute load average barely moves between two readings.
    assert.ok(
      Math.abs(info.loadAverage[2] - loadavg()[2]!) < 0.5,
      `reported ${info.loadAverage[2]}, the machine says ${loadavg()[2]}`,
    );
    assert.ok(cluster && cluster.counters.joins === 1, 'the link was never closed for a bad report');

    const res = await fetch(`${core.url}/metrics`, { headers: auth });
    assert.equal(res.status, 200);
    const metrics = new PrometheusText(await res.text());
    const cpu = metrics.value('fl_worker_cpu_use_ratio', { worker: 'reporter' });
    assert.ok(cpu !== undefined && cpu >= 0 && cpu <= 1, `fl_worker_cpu_use_ratio ${cpu}`);
    assert.equal(metrics.value('fl_worker_threads', { worker: 'reporter' }), 2);
    for (const name of ['fl_worker_load1', 'fl_worker_load5', 'fl_worker_load15']) {
      assert.ok(metrics.value(name, { worker: 'reporter' })! >= 0, name);
    }
  } finally {
    await worker.stop('SIGKILL');
    await core.close();
    await rm(dir, { recursive: true, force: true });
  }
});
