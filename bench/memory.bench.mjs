// Memory of a Core and a Worker as deployed (docs/deployment.md, "Resources"): each its own process,
// started as `fl core` and `fl worker` start them (the same entry and Node flags), on SQLite and, when
// MEM_DATABASE_URL is set, on PostgreSQL (as on Kubernetes). Resident memory idle, after a small load
// and at its peak, against a bare Node.js process with the same flags measured in the same run.
// Usage: npm run bench -- memory   (MEM_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test for
// PostgreSQL; MEM_DURATION_S=10 MEM_CONNECTIONS=8 to change the load)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  ADMIN,
  api,
  AUTH,
  autocannon,
  benchEnv,
  BODY,
  dist,
  fmt,
  nodeFlags,
  rssMiB,
  SECRET,
  startProcess,
} from './support.mjs';

const { watFixture } = await import(dist('testing', 'src/index.js'));

const DURATION_S = Number(process.env.MEM_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.MEM_CONNECTIONS ?? 8);
const DATABASE_URL = process.env.MEM_DATABASE_URL;
const NODE_FLAGS = nodeFlags();
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-memory-'));
const children = [];
const schema = `fl_bench_memory_${process.pid}`;

const cleanEnv = (extra) => benchEnv(extra, { drop: ['DATABASE_URL'] });

async function postgres(query) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(query);
  } finally {
    await client.end();
  }
}

/** One run: a Core on `database`, a Worker joined to it; their memory idle, after load and at peak. */
async function measure(database) {
  const runDir = join(dir, database.name);
  const { child: core, match } = await startProcess(
    children,
    [...NODE_FLAGS, dist('cli', 'src/bin.js'), 'core'],
    cleanEnv({
      FL_PORT: '0',
      FL_DATA_DIR: join(runDir, 'core'),
      FL_CLUSTER_SECRET: SECRET,
      FL_ADMIN_TOKEN: ADMIN,
      ...database.env,
    }),
    /listening on (http:\/\/[\d.]+:\d+)/,
  );
  const url = match[1];
  const { child: worker } = await startProcess(
    children,
    [...NODE_FLAGS, dist('cli', 'src/bin.js'), 'worker'],
    cleanEnv({
      FL_LOG_LEVEL: 'info',
      FL_CORE_URL: url,
      FL_DATA_DIR: join(runDir, 'worker'),
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_NAME: 'bench',
      FL_WORKER_THREADS: '2',
    }),
    /joined the Core/,
  );
  await sleep(2_000);
  const idle = { core: rssMiB(core.pid), worker: rssMiB(worker.pid) };

  const form = new FormData();
  form.set('name', 'hello');
  form.set('code', new Blob([await watFixture('hello')]), 'hello.wasm');
  form.set('wait_for_workers', 'true');
  await api(`${url}/v1/fn/_`, { method: 'POST', body: form });
  const load = await autocannon({
    url: `${url}/v1/fn/_/hello`,
    connections: CONNECTIONS,
    durationS: DURATION_S,
    authorization: AUTH,
    body: BODY,
  });
  if (load.errors > 0) throw new Error(`${load.errors} of ${load.total} invocations failed`);
  const loaded = { core: rssMiB(core.pid), worker: rssMiB(worker.pid) };
  const peak = { core: rssMiB(core.pid, 'VmHWM'), worker: rssMiB(worker.pid, 'VmHWM') };
  core.kill('SIGKILL');
  worker.kill('SIGKILL');
  return { name: database.name, idle, loaded, peak, load };
}

try {
  const { child: bare } = await startProcess(
    children,
    [...NODE_FLAGS, '-e', 'console.log("up"); setInterval(() => {}, 1000)'],
    cleanEnv({}),
    /up/,
  );
  await sleep(2_000);
  const baseline = rssMiB(bare.pid);
  bare.kill('SIGKILL');

  const databases = [{ name: 'SQLite', env: {} }];
  if (DATABASE_URL) {
    await postgres(`CREATE SCHEMA ${schema}`);
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databases.push({ name: 'PostgreSQL', env: { DATABASE_URL: url.toString() } });
  }
  console.log(
    `memory benchmark (VmRSS; Core and Worker processes as fl core / fl worker start them, node flags: ${NODE_FLAGS.join(' ') || 'none'}; ` +
      `Worker with FL_WORKER_THREADS=2; load: hello, autocannon ${CONNECTIONS} connections ${DURATION_S} s)`,
  );
  console.log(`  baseline: a bare node process with the same flags, idle: ${fmt(baseline, 1)} MiB`);
  for (const database of databases) {
    const r = await measure(database);
    const line = (what, m) =>
      `    ${what.padEnd(24)} Core ${fmt(m.core, 1)} MiB (${fmt(m.core / baseline, 2)}x baseline), Worker ${fmt(m.worker, 1)} MiB (${fmt(m.worker / baseline, 2)}x baseline)`;
    console.log(`  ${r.name}: ${fmt(r.load.rps, 0)} req/s during the load, ${r.load.total} invocations`);
    console.log(line('idle (2 s after join):', r.idle));
    console.log(line('after the load:', r.loaded));
    console.log(line('peak (VmHWM):', r.peak));
  }
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  if (DATABASE_URL) await postgres(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
