// Several Cores on one PostgreSQL database (docs/architecture.md, "Several Cores"), in one run:
//  1. invocation throughput through two Cores (the load split over both) against one Core, with
//     the same two Workers connected to both; CPU per invocation of all four processes too;
//  2. the time from a change committed through Core A to its effect on Core B: a function update
//     (B runs the new code) and a token rotation (B refuses the old token), p50 and p99.
// Needs PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test); it works in a
// schema of its own and drops it at the end.
// Usage: npm run bench -- multicore   (MC_DURATION_S=4 MC_ROUNDS=3 MC_CONNECTIONS=32 MC_CHANGES=100)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pg from 'pg';

import {
  ADMIN,
  api,
  AUTH,
  autocannon as runAutocannon,
  benchEnv,
  BODY,
  cpuUs,
  dist,
  fmt,
  median,
  nodeFlags,
  root,
  SECRET,
  startProcess,
} from './support.mjs';

const { wat, watFixture } = await import(dist('testing', 'src/index.js'));

const DURATION_S = Number(process.env.MC_DURATION_S ?? 4);
const ROUNDS = Number(process.env.MC_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.MC_CONNECTIONS ?? 32);
const CHANGES = Number(process.env.MC_CHANGES ?? 100);
const NODE_FLAGS = nodeFlags(process.env.MC_NODE_FLAGS);
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-multicore-'));
const children = [];
const start = (args, env, ready) => startProcess(children, args, env, ready);
const schema = `fl_bench_${randomBytes(6).toString('hex')}`;

function uploadForm(name, code) {
  const form = new FormData();
  form.set('name', name);
  form.set('code', new Blob([code]), `${name}.wasm`);
  return form;
}

const verdict = (ok) => (ok ? 'ok' : 'MISSED');
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** Calls `check` back to back until it is true; ms from `since` (a performance.now()) to then. */
async function until(check, since, timeoutMs = 10_000) {
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() - since > timeoutMs) throw new Error(`no effect within ${timeoutMs} ms`);
  }
}

const admin = new pg.Client({ connectionString: DATABASE_URL });
try {
  await admin.connect();
} catch (error) {
  console.error(`multicore: needs PostgreSQL at ${DATABASE_URL} (set DATABASE_URL): ${error.message}`);
  process.exit(1);
}
await admin.query(`create schema ${schema}`);
const url = new URL(DATABASE_URL);
url.searchParams.set('options', `-c search_path=${schema}`);

try {
  const hello = await watFixture('hello');
  const source = (await import('node:fs')).readFileSync(
    join(root, 'packages/testing/fixtures/wat/hello.wat'),
    'utf8',
  );
  const howdy = await wat(source.replaceAll('Hello ', 'Howdy '));

  const cores = [];
  for (const name of ['a', 'b']) {
    const { child, match } = await start(
      [...NODE_FLAGS, dist('cli', 'src/bin.js'), 'core'],
      benchEnv({
        FL_PORT: '0',
        FL_DATA_DIR: join(dir, `core-${name}`),
        DATABASE_URL: url.toString(),
        FL_CLUSTER_SECRET: SECRET,
        FL_ADMIN_TOKEN: ADMIN,
      }),
      /listening on (http:\/\/[\d.]+:\d+)/,
    );
    cores.push({ name, child, url: match[1] });
  }
  const workers = [];
  for (const name of ['w1', 'w2']) {
    const { child } = await start(
      [...NODE_FLAGS, dist('worker', 'src/bin.js')],
      benchEnv({
        FL_LOG_LEVEL: 'info',
        FL_CORE_URL: cores.map((c) => c.url).join(','),
        FL_DATA_DIR: join(dir, name),
        FL_CLUSTER_SECRET: SECRET,
        FL_WORKER_NAME: name,
        FL_WORKER_THREADS: '1',
      }),
      /joined the Core[\s\S]*joined the Core/,
    );
    workers.push(child);
  }
  const [a, b] = cores;
  await api(`${a.url}/v1/fn/_`, { method: 'POST', body: uploadForm('hello', hello) });
  const invoke = async (core, init = {}) => {
    const res = await fetch(`${core.url}/v1/fn/_/hello`, {
      method: 'POST',
      ...init,
      headers: { authorization: AUTH, 'content-type': 'application/json', ...init.headers },
      body: BODY,
    });
    return { status: res.status, text: await res.text() };
  };
  if (!(await invoke(b)).text.includes('Hello Bob!')) throw new Error('B does not run what A created');

  // ---- 1. throughput: one Core against two, same Workers ----
  const pids = [...cores.map((c) => c.child.pid), ...workers.map((w) => w.pid)];
  const load = async (targets) => {
    const cpu0 = pids.map(cpuUs);
    const results = await Promise.all(
      targets.map((core) =>
        runAutocannon({
          url: `${core.url}/v1/fn/_/hello`,
          connections: Math.max(1, Math.round(CONNECTIONS / targets.length)),
          durationS: DURATION_S,
          authorization: AUTH,
          body: BODY,
        }),
      ),
    );
    const total = results.reduce((s, r) => s + r.total, 0);
    const spent = pids.reduce((s, pid, i) => s + cpuUs(pid) - cpu0[i], 0);
    return {
      rps: results.reduce((s, r) => s + r.rps, 0),
      errors: results.reduce((s, r) => s + r.errors, 0),
      p99: Math.max(...results.map((r) => r.p99)),
      cpuUs: spent / Math.max(1, total),
    };
  };
  await load([a, b]);
  await load([a]);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternating which goes first: the machine's other load drifts.
    const one = round % 2 === 0 ? await load([a]) : undefined;
    const two = await load([a, b]);
    rounds.push({ one: one ?? (await load([a])), two });
  }

  // ---- 2. propagation: a change through A, its effect through B ----
  const updates = [];
  for (let i = 0; i < CHANGES; i++) {
    const [code, expected] = i % 2 === 0 ? [howdy, 'Howdy Bob!'] : [hello, 'Hello Bob!'];
    await api(`${a.url}/v1/fn/_/hello`, { method: 'PUT', body: uploadForm('hello', code) });
    const since = performance.now();
    updates.push(await until(async () => (await invoke(b)).text.includes(expected), since));
  }
  const subject = await api(`${a.url}/v1/admin/subjects`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject: { name: 'bench' } }),
  });
  let token = subject.data.token;
  const rotations = [];
  for (let i = 0; i < CHANGES; i++) {
    const old = token;
    // B takes the current token (the subject's creation, or the last rotation, has reached it).
    await until(
      async () => (await invoke(b, { headers: { authorization: `Bearer ${old}` } })).status === 200,
      performance.now(),
    );
    token = (await api(`${a.url}/v1/admin/subjects/bench/token`, { method: 'POST' })).data.token;
    const since = performance.now();
    rotations.push(
      await until(
        async () => (await invoke(b, { headers: { authorization: `Bearer ${old}` } })).status === 401,
        since,
      ),
    );
  }

  const one = median(rounds.map((r) => r.one.rps));
  const two = median(rounds.map((r) => r.two.rps));
  const ratios = rounds.map((r) => r.two.rps / r.one.rps);
  const ratio = median(ratios);
  console.log(
    `throughput, hello, ${CONNECTIONS} connections for ${DURATION_S} s, 2 Workers (1 thread each) connected to both Cores, median of ${ROUNDS} rounds:`,
  );
  console.log(
    `  one Core:  ${fmt(one, 0)} req/s, CPU ${fmt(median(rounds.map((r) => r.one.cpuUs)), 0)} µs/invocation (all processes), errors ${rounds.reduce((s, r) => s + r.one.errors, 0)}`,
  );
  console.log(
    `  two Cores: ${fmt(two, 0)} req/s, CPU ${fmt(median(rounds.map((r) => r.two.cpuUs)), 0)} µs/invocation (all processes), errors ${rounds.reduce((s, r) => s + r.two.errors, 0)}`,
  );
  console.log(
    `  two/one: ${fmt(ratio * 100, 1)}% (rounds: ${ratios.map((x) => fmt(x * 100, 0) + '%').join(', ')})  (target >= 100%, within the noise of a shared machine: ${verdict(ratio >= 0.95)})`,
  );
  for (const [label, samples] of [
    ['function update through A, until B runs the new code', updates],
    ['token rotation through A, until B refuses the old token', rotations],
  ]) {
    const sorted = [...samples].sort((x, y) => x - y);
    const p50 = percentile(sorted, 0.5);
    const p99 = percentile(sorted, 0.99);
    console.log(`propagation, ${label} (${samples.length} changes):`);
    console.log(
      `  p50 ${fmt(p50, 1)} ms (target <= 50: ${verdict(p50 <= 50)}), p99 ${fmt(p99, 1)} ms (target <= 1000: ${verdict(p99 <= 1000)}), max ${fmt(sorted.at(-1), 1)} ms`,
    );
  }
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 200));
  await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
}
