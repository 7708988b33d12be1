// What activation records cost (docs/activations.md), in one run on loopback:
//  1. end-to-end throughput and p50 of hello with recording on, against a Core with
//     FL_ACTIVATION_MAX=0 (recording off): two Core processes sharing one Worker process, measured
//     one after the other in alternating rounds (target: at most 10 % of throughput, 0.1 ms at p50);
//  2. the time to the 202 of an asynchronous invocation (target: p50 at most 2 ms);
//  3. a list of 50 activations out of 100,000 stored (target: at most 20 ms), plus a filtered one
//     and a page deep in the cursor;
//  4. in this process, the CPU time one record costs the Core: made, held and written in a batch
//     (steadier than req/s on a machine shared with other work).
// Usage: npm run bench -- activations   (ACT_DURATION_S=4 ACT_ROUNDS=3 ACT_CONNECTIONS=32;
// ACT_DATABASE_URL=postgres://… runs the Cores on PostgreSQL instead of SQLite; ACT_CPU_PROF=<dir>
// writes CPU profiles of both Cores there and stops after part 1)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ADMIN,
  api,
  AUTH,
  benchEnv,
  BODY,
  cpuUs,
  dist,
  fmt,
  loadHello,
  median,
  nodeFlags,
  root,
  SECRET,
  startProcess,
} from './support.mjs';

const { watFixture } = await import(dist('testing', 'src/index.js'));
const { openStore, ActivationIds, ActivationRecorder, successOutcome } = await import(
  dist('core', 'src/index.js')
);
const { pino } = await import(join(root, 'node_modules/pino/pino.js'));

const DURATION_S = Number(process.env.ACT_DURATION_S ?? 4);
const ROUNDS = Number(process.env.ACT_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.ACT_CONNECTIONS ?? 32);
const DATABASE_URL = process.env.ACT_DATABASE_URL;
const STORED = 100_000;
// Node flags of the Core and Worker processes: those `fl` runs with (ACT_NODE_FLAGS='' for none).
const NODE_FLAGS = nodeFlags(process.env.ACT_NODE_FLAGS);
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-activations-'));
const children = [];
const start = (args, env, ready) => startProcess(children, args, env, ready);
const schemas = [];

const cleanEnv = (extra) => benchEnv(extra, { drop: ['DATABASE_URL'] });

/** A fresh PostgreSQL schema for one Core, when running on PostgreSQL. */
async function databaseFor(name) {
  if (!DATABASE_URL) return {};
  const { default: pg } = await import('pg');
  const schema = `fl_bench_${name}_${process.pid}`;
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  schemas.push(schema);
  const url = new URL(DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { DATABASE_URL: url.toString() };
}

/**
 * `count` sequential requests over one keep-alive connection from a separate process, after 200
 * to warm up; each must answer `status`. Resolves to the p50 and p99 in ms.
 */
async function sequential(url, { method = 'POST', body = BODY, status = 200, count = 1000 } = {}) {
  const script = `
    import { request, Agent } from 'node:http';
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(${JSON.stringify(url)});
    const body = ${JSON.stringify(method === 'GET' ? '' : body)};
    const headers = { authorization: ${JSON.stringify(AUTH)} };
    if (body !== '') Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const one = () => new Promise((resolve, reject) => {
      const t = process.hrtime.bigint();
      const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: ${JSON.stringify(method)}, headers },
        (res) => { res.resume(); res.on('end', () => res.statusCode === ${status} ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error('status ' + res.statusCode))); });
      req.on('error', reject); req.end(body === '' ? undefined : body);
    });
    for (let i = 0; i < 200; i++) await one();
    const samples = [];
    for (let i = 0; i < ${count}; i++) samples.push(await one());
    samples.sort((a, b) => a - b);
    console.log(JSON.stringify({ p50: samples[Math.floor(samples.length / 2)], p99: samples[Math.floor(samples.length * 0.99)] }));
    agent.destroy();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`sequential requests to ${url} failed`);
  return JSON.parse(out);
}

const verdict = (ok) => (ok ? 'ok' : 'MISSED');

async function startCore(name, extra) {
  const dataDir = join(dir, name);
  const database = await databaseFor(name);
  const prof = process.env.ACT_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.ACT_CPU_PROF, name)}`]
    : [];
  const { child, match } = await start(
    [...NODE_FLAGS, ...prof, dist('cli', 'src/bin.js'), 'core'],
    cleanEnv({
      FL_PORT: '0',
      FL_DATA_DIR: dataDir,
      FL_CLUSTER_SECRET: SECRET,
      FL_ADMIN_TOKEN: ADMIN,
      ...database,
      ...extra,
    }),
    /listening on (http:\/\/[\d.]+:\d+)/,
  );
  return { child, url: match[1], dataDir, databaseUrl: database.DATABASE_URL };
}

try {
  const hello = await watFixture('hello');
  const on = await startCore('on', {});
  const off = await startCore('off', { FL_ACTIVATION_MAX: '0' });
  // One Worker joined to both Cores: the two differ only in their recording.
  const { child: workerProc } = await start(
    [...NODE_FLAGS, dist('worker', 'src/bin.js')],
    cleanEnv({
      FL_LOG_LEVEL: 'info',
      FL_CORE_URL: `${on.url},${off.url}`,
      FL_DATA_DIR: join(dir, 'worker'),
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_NAME: 'bench',
    }),
    /joined the Core[\s\S]*joined the Core/,
  );
  for (const core of [on, off]) {
    const form = new FormData();
    form.set('name', 'hello');
    form.set('code', new Blob([hello]), 'hello.wasm');
    await api(`${core.url}/v1/fn/_`, { method: 'POST', body: form });
    const check = await api(`${core.url}/v1/fn/_/hello`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    if (check.data?.payload !== 'Hello Bob!') throw new Error(`unexpected result ${JSON.stringify(check)}`);
  }
  const probe = await fetch(`${on.url}/v1/fn/_/hello`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: BODY,
  });
  if (!probe.headers.get('x-fl-activation-id')) throw new Error('the recording Core sent no activation id');

  // ---- 1. recording on and off, alternating ----
  const servers = { on: `${on.url}/v1/fn/_/hello`, off: `${off.url}/v1/fn/_/hello` };
  const pids = { on: [on.child.pid, workerProc.pid], off: [off.child.pid, workerProc.pid] };
  for (const url of Object.values(servers)) await loadHello(url, CONNECTIONS, 3);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const r = {};
    // Alternate which goes first, so that neither always follows the other's load.
    const order = round % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
    for (const name of order) {
      const cpu0 = pids[name].map(cpuUs);
      r[name] = await loadHello(servers[name], CONNECTIONS, DURATION_S);
      const spent = pids[name].map((pid, i) => cpuUs(pid) - cpu0[i]);
      r[name].coreCpuUs = spent[0] / Math.max(1, r[name].total);
      r[name].cpuUs = (spent[0] + spent[1]) / Math.max(1, r[name].total);
    }
    for (const name of order) r[name].seq = await sequential(servers[name]);
    rounds.push(r);
  }
  const pick = (name) => ({
    rps: median(rounds.map((r) => r[name].rps)),
    errors: rounds.reduce((sum, r) => sum + r[name].errors, 0),
    p50: median(rounds.map((r) => r[name].seq.p50)),
    coreCpuUs: median(rounds.map((r) => r[name].coreCpuUs)),
    cpuUs: median(rounds.map((r) => r[name].cpuUs)),
  });
  const recOn = pick('on');
  const recOff = pick('off');
  const throughputCost = median(rounds.map((r) => 1 - r.on.rps / r.off.rps));
  const p50Cost = median(rounds.map((r) => r.on.seq.p50 - r.off.seq.p50));
  // On a machine shared with other work req/s swing from second to second; CPU time per request is
  // steadier. What recording adds to the Core's CPU per request, as a share of what the Core and
  // the Worker spend on one without it, is the throughput it costs where the CPUs are the limit.
  const cpuCost = median(rounds.map((r) => (r.on.coreCpuUs - r.off.coreCpuUs) / r.off.cpuUs));
  console.log(
    `activations benchmark (${DATABASE_URL ? 'PostgreSQL' : 'SQLite'}; hello, Core and Worker processes on loopback, autocannon ${CONNECTIONS} connections ${DURATION_S} s, ${ROUNDS} rounds alternating, medians)`,
  );
  console.log(
    `  recording on:  ${fmt(recOn.rps, 0)} req/s, p50 at concurrency 1 ${fmt(recOn.p50, 3)} ms, Core CPU ${fmt(recOn.coreCpuUs, 1)} µs/req, errors ${recOn.errors}`,
  );
  console.log(
    `  recording off: ${fmt(recOff.rps, 0)} req/s, p50 at concurrency 1 ${fmt(recOff.p50, 3)} ms, Core CPU ${fmt(recOff.coreCpuUs, 1)} µs/req, errors ${recOff.errors}`,
  );
  console.log(
    `  cost of recording: ${fmt(throughputCost * 100, 1)} % of throughput (target ≤ 10 %: ${verdict(throughputCost <= 0.1)}), ` +
      `${fmt(p50Cost, 3)} ms at p50 (target ≤ 0.1 ms: ${verdict(p50Cost <= 0.1)})`,
  );
  console.log(
    `  by CPU time: recording adds ${fmt(recOn.coreCpuUs - recOff.coreCpuUs, 1)} µs of Core CPU per request, ` +
      `${fmt(cpuCost * 100, 1)} % of the ${fmt(recOff.cpuUs, 1)} µs Core and Worker spend on one without it`,
  );

  if (process.env.ACT_CPU_PROF) {
    // SIGINT lets the Cores close and write their CPU profiles; the rest of the run is skipped.
    for (const core of [on, off]) core.child.kill('SIGINT');
    await Promise.all([on, off].map((c) => new Promise((resolve) => c.child.once('exit', resolve))));
    console.log(
      `CPU profiles in ${process.env.ACT_CPU_PROF}; requests on, off: ${rounds.reduce((n, r) => n + r.on.total, 0)}, ${rounds.reduce((n, r) => n + r.off.total, 0)}`,
    );
  } else {
    // ---- 2. the 202 of an asynchronous invocation ----
    const asyncSeq = await sequential(`${on.url}/v1/fn/_/hello?blocking=false`, { status: 202 });

    // ---- 3. lists out of 100,000 stored ----
    // Written straight into the recording Core's database, as that many invocations would have.
    const store = await openStore({ dataDir: on.dataDir, databaseUrl: on.databaseUrl });
    const ids = new ActivationIds();
    const t0 = Date.now() - 3600_000;
    const statuses = ['success', 'success', 'success', 'guest_error', 'timeout'];
    for (let i = 0; i < STORED; i += 5000) {
      const batch = [];
      for (let j = i; j < Math.min(STORED, i + 5000); j++) {
        batch.push({
          id: ids.next(t0 + Math.floor(j / 30)),
          module: '_',
          function: j % 4 === 0 ? 'other' : 'hello',
          trigger: 'http',
          subject: 'admin',
          status: statuses[j % statuses.length],
          worker: 'bench',
          hash: 'ab'.repeat(32),
          durationMs: 0.3,
          totalMs: 0.9,
          error: null,
          result: '{"payload":"Hello Bob!"}',
          resultTruncated: false,
          logs: [{ stream: 'console', text: `line ${j}` }],
          logsTruncated: false,
        });
      }
      await store.activations.insert(batch);
    }
    const stored = await store.activations.count({});
    await store.close();
    if (DATABASE_URL) {
      // What autovacuum does on its own some time after a bulk load: statistics for the planner.
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: on.databaseUrl });
      await client.connect();
      await client.query('analyze activations');
      await client.end();
    }
    const lists = {};
    for (const [name, query] of [
      ['newest 50', 'limit=50'],
      ['50 of one function and status', 'function=hello&status=guest_error&limit=50'],
      ['50 in a time range', `since=${t0 + 1000}&until=${t0 + 2000}&limit=50`],
    ]) {
      lists[name] = await sequential(`${on.url}/v1/activations?${query}`, { method: 'GET', count: 300 });
    }
    // A page deep down: follow the cursor 20 pages of 1000, then time the next 50.
    let cursor = null;
    for (let i = 0; i < 20; i++) {
      const page = await api(`${on.url}/v1/activations?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      cursor = page.next_cursor;
    }
    lists['50 after 20,000 (cursor)'] = await sequential(
      `${on.url}/v1/activations?limit=50&cursor=${cursor}`,
      {
        method: 'GET',
        count: 300,
      },
    );
    const onePage = await fetch(`${on.url}/v1/activations?limit=50`, { headers: { authorization: AUTH } });
    const total = onePage.headers.get('x-total-count');

    // ---- 4. what one record costs, in this process ----
    const recordStore = await openStore({
      dataDir: join(dir, 'records'),
      databaseUrl: (await databaseFor('records')).DATABASE_URL,
    });
    const recorder = new ActivationRecorder(recordStore.activations, pino({ level: 'silent' }), {});
    const fn = { module: '_', name: 'hello', hash: 'ab'.repeat(32), tag: 'default', capacityMiB: 64 };
    const result = Buffer.from('{"payload":"Hello Bob!"}');
    const perRecord = [];
    for (let round = 0; round < 5; round++) {
      const count = 20_000;
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < count; i++) {
        recorder.record({
          id: recorder.ids.next(),
          module: '_',
          function: 'hello',
          trigger: 'http',
          subject: 'admin',
          ...successOutcome(fn, { worker: 'bench', durationMs: 0.3 }, result, 0.9),
        });
        if (i % 500 === 499) await recorder.flush();
      }
      await recorder.flush();
      const cpu = process.cpuUsage(cpu0);
      perRecord.push((cpu.user + cpu.system) / count);
    }
    await recorder.close();
    await recordStore.close();
    const recordCpuUs = median(perRecord);

    console.log(
      `  one record, made, held and written in a batch of 500 (in process): ${fmt(recordCpuUs, 1)} µs of CPU, ` +
        `${fmt((recordCpuUs / recOff.cpuUs) * 100, 1)} % of what a request costs the Core and the Worker without recording`,
    );
    console.log(
      `  asynchronous invocation, time to its 202: p50 ${fmt(asyncSeq.p50, 3)} ms, p99 ${fmt(asyncSeq.p99, 3)} ms (target p50 ≤ 2 ms: ${verdict(asyncSeq.p50 <= 2)})`,
    );
    console.log(`  lists with ${stored} activations stored (X-Total-Count ${total}):`);
    for (const [name, r] of Object.entries(lists)) {
      console.log(
        `    ${name}: p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms${name === 'newest 50' ? ` (target ≤ 20 ms: ${verdict(r.p50 <= 20)})` : ''}`,
      );
    }
  }
} finally {
  for (const child of children) child.kill('SIGKILL');
  if (DATABASE_URL && schemas.length > 0) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
  rmSync(dir, { recursive: true, force: true });
}
