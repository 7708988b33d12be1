// End-to-end benchmark of the platform on loopback (docs/architecture.md, "The one-command platform"):
//  1. warm invocation over HTTP (hello, Core + 1 Worker as separate processes, load from a separate
//     autocannon process) against a floor measured in the same run: a minimal node:http server
//     running the same function in-process with the same runtime;
//  1b. the one-process platform (`fl up`, what `npm start` runs: Core and Worker joined in process)
//     against a bare node:http server doing the same JSON work with no Wasm at all;
//  2. cold start: upload of a ~200 KB module (pushed to the Worker) to its first result;
//  3. idle resident memory of the Core and the Worker processes;
//  4. 200 simulated Workers joined to one Core: a create with wait_for_workers, and the time of one
//     scheduling decision.
// Usage: npm run bench -- e2e   (E2E_DURATION_S=4 E2E_ROUNDS=3 E2E_CONNECTIONS=32 to change the load;
// E2E_CPU_PROF=<dir> writes a CPU profile of the `fl up` process there)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  rssMiB,
  SECRET,
  startProcess,
} from './support.mjs';

const { wat, watFixture } = await import(dist('testing', 'src/index.js'));
const { startCore, coreClusterFromEnv, CoreCluster } = await import(dist('core', 'src/index.js'));
const { defaultPolicy } = await import(dist('core', 'src/scheduling/index.js'));
const { SimulatedWorker } = await import(dist('core', 'test/cluster/support/simulated-worker.js'));

const DURATION_S = Number(process.env.E2E_DURATION_S ?? 4);
const ROUNDS = Number(process.env.E2E_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.E2E_CONNECTIONS ?? 32);
// Node flags of the Core and Worker processes: those `fl` runs with (E2E_NODE_FLAGS='' for none).
const NODE_FLAGS = nodeFlags(process.env.E2E_NODE_FLAGS);
const dir = mkdtempSync(join(tmpdir(), 'fl-bench-e2e-'));
const children = [];
const start = (args, env, ready) => startProcess(children, args, env, ready);

// FL_ variables stay out, except the runtime's tuning knob, to compare settings.
const cleanEnv = (extra) => benchEnv(extra, { keep: ['FL_WORKER_IDLE_SPIN_US'] });

/** Read and write system calls the process has made (the reads count epoll-driven socket reads too). */
function syscalls(pid) {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return Number(/syscr: (\d+)/.exec(io)[1]) + Number(/syscw: (\d+)/.exec(io)[1]);
}

function uploadForm(name, code, wait = true) {
  const form = new FormData();
  form.set('name', name);
  form.set('code', new Blob([code]), `${name}.wasm`);
  form.set('wait_for_workers', String(wait));
  return form;
}

/** Sequential requests over one keep-alive connection from a separate process: precise p50 in ms. */
async function sequentialLatency(url, count) {
  const script = `
    import { request, Agent } from 'node:http';
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(${JSON.stringify(url)});
    const body = ${JSON.stringify(BODY)};
    const one = () => new Promise((resolve, reject) => {
      const t = process.hrtime.bigint();
      const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
        headers: { 'content-type': 'application/json', authorization: ${JSON.stringify(AUTH)}, 'content-length': Buffer.byteLength(body) } },
        (res) => { res.resume(); res.on('end', () => res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error('status ' + res.statusCode))); });
      req.on('error', reject); req.end(body);
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
  await new Promise((resolve) => child.once('exit', resolve));
  return JSON.parse(out);
}

const FLOOR_SERVER = `
  import { createServer } from 'node:http';
  import { createHash } from 'node:crypto';
  import { readFileSync } from 'node:fs';
  const { Runtime } = await import(${JSON.stringify(dist('worker', 'src/index.js'))});
  const code = readFileSync(process.env.CODE_FILE);
  const hash = createHash('sha256').update(code).digest('hex');
  const runtime = await Runtime.create({ dataDir: process.env.DATA_DIR });
  const ref = { module: '_', name: 'hello', hash };
  await runtime.store({ ...ref, code });
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const { args } = JSON.parse(Buffer.concat(chunks).toString());
        const input = Buffer.from(JSON.stringify(args ?? {}));
        const out = await runtime.invoke({ ...ref, capacityMiB: 64, input });
        const body = Buffer.concat([Buffer.from('{"data":'), out.result, Buffer.from('}')]);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } catch (e) { res.writeHead(500); res.end(String(e)); }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log('FLOOR ' + server.address().port));`;

// What the platform's HTTP side does for hello, without Wasm, a link or a Worker: read the body,
// parse it, build the answer, send it. The ceiling a one-process platform is measured against.
const BARE_SERVER = `
  import { createServer } from 'node:http';
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const { args } = JSON.parse(Buffer.concat(chunks).toString());
        const body = JSON.stringify({ data: { payload: 'Hello ' + args.name + '!' } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } catch (e) { res.writeHead(400); res.end(String(e)); }
    });
  });
  server.listen(0, '127.0.0.1', () => console.log('BARE ' + server.address().port));`;

function verdict(ok) {
  return ok ? 'ok' : 'MISSED';
}

try {
  const hello = await watFixture('hello');
  const codeFile = join(dir, 'hello.wasm');
  writeFileSync(codeFile, hello);

  // ---- the platform: Core and Worker as their own processes ----
  const coreDir = join(dir, 'core');
  const { child: coreProc, match: coreMatch } = await start(
    [...NODE_FLAGS, dist('cli', 'src/bin.js'), 'core'],
    cleanEnv({ FL_PORT: '0', FL_DATA_DIR: coreDir, FL_CLUSTER_SECRET: SECRET, FL_ADMIN_TOKEN: ADMIN }),
    /listening on (http:\/\/[\d.]+:\d+)/,
  );
  const coreUrl = coreMatch[1];
  const { child: workerProc } = await start(
    [...NODE_FLAGS, dist('worker', 'src/bin.js')],
    cleanEnv({
      FL_LOG_LEVEL: 'info',
      FL_CORE_URL: coreUrl,
      FL_DATA_DIR: join(dir, 'worker'),
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_NAME: 'bench',
    }),
    /joined the Core/,
  );
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  global.gc?.();
  const idleCore = rssMiB(coreProc.pid);
  const idleWorker = rssMiB(workerProc.pid);

  await api(`${coreUrl}/v1/fn/_`, { method: 'POST', body: uploadForm('hello', hello) });
  const invokeUrl = `${coreUrl}/v1/fn/_/hello`;
  const check = await api(invokeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  if (check.data?.payload !== 'Hello Bob!') throw new Error(`unexpected result ${JSON.stringify(check)}`);

  // ---- the floor: node:http + the same runtime, in one process ----
  // A file, not `-e`: worker threads inherit execArgv, and --input-type breaks their start.
  const floorFile = join(dir, 'floor-server.mjs');
  writeFileSync(floorFile, FLOOR_SERVER);
  const { child: floorProc, match: floorMatch } = await start(
    [floorFile],
    cleanEnv({ CODE_FILE: codeFile, DATA_DIR: join(dir, 'floor') }),
    /FLOOR (\d+)/,
  );
  const floorUrl = `http://127.0.0.1:${floorMatch[1]}/`;

  // ---- the one-process platform (`fl up`) and a bare node:http server with the same JSON work ----
  const upDir = join(dir, 'up');
  const profFlags = process.env.E2E_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.E2E_CPU_PROF}`]
    : [];
  const { child: upProc, match: upMatch } = await start(
    [...NODE_FLAGS, ...profFlags, dist('cli', 'src/bin.js'), 'up'],
    cleanEnv({ FL_PORT: '0', FL_DATA_DIR: upDir, FL_CLUSTER_SECRET: SECRET, FL_ADMIN_TOKEN: ADMIN }),
    /FunLess is up at (http:\/\/[\d.]+:\d+)/,
  );
  const upUrl = upMatch[1];
  await api(`${upUrl}/v1/fn/_`, { method: 'POST', body: uploadForm('hello', hello) });
  const upInvokeUrl = `${upUrl}/v1/fn/_/hello`;
  const upCheck = await api(upInvokeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  if (upCheck.data?.payload !== 'Hello Bob!') throw new Error(`fl up answered ${JSON.stringify(upCheck)}`);
  const bareFile = join(dir, 'bare-server.mjs');
  writeFileSync(bareFile, BARE_SERVER);
  const { child: bareProc, match: bareMatch } = await start([bareFile], cleanEnv({}), /BARE (\d+)/);
  const bareUrl = `http://127.0.0.1:${bareMatch[1]}/`;
  const bareCheck = await (await fetch(bareUrl, { method: 'POST', body: BODY })).json();
  if (JSON.stringify(bareCheck) !== JSON.stringify(upCheck))
    throw new Error('the bare server answers otherwise');

  // Warm every server, then measure each under the same load, one at a time, in ROUNDS rounds:
  // on a shared machine the load of others changes from second to second, and a ratio taken
  // within one round (median over the rounds) is steadier than figures from far apart.
  // JIT warm-up: the first second of any of them runs at a fraction of its steady speed.
  const servers = { floor: floorUrl, platform: invokeUrl, bare: bareUrl, up: upInvokeUrl };
  const processes = { floor: [floorProc], platform: [coreProc, workerProc], bare: [bareProc], up: [upProc] };
  for (const url of Object.values(servers)) await loadHello(url, CONNECTIONS, 3);
  const loadRounds = [];
  const seqRounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const load = {};
    for (const [name, url] of Object.entries(servers)) {
      const pids = processes[name].map((c) => c.pid);
      const cpu0 = pids.map(cpuUs);
      const sys0 = pids.map(syscalls);
      load[name] = await loadHello(url, CONNECTIONS, DURATION_S);
      // CPU per request of the server's processes: less sensitive to other load than req/s.
      const spent = pids.reduce((sum, pid, i) => sum + cpuUs(pid) - cpu0[i], 0);
      load[name].cpuUs = spent / Math.max(1, load[name].total);
      const calls = pids.reduce((sum, pid, i) => sum + syscalls(pid) - sys0[i], 0);
      load[name].syscalls = calls / Math.max(1, load[name].total);
    }
    loadRounds.push(load);
    const seq = {};
    for (const [name, url] of Object.entries(servers)) seq[name] = await sequentialLatency(url, 1000);
    seqRounds.push(seq);
  }
  const pick = (rounds, name) => ({
    rps: median(rounds.map((r) => r[name].rps)),
    p50: median(rounds.map((r) => r[name].p50)),
    p99: median(rounds.map((r) => r[name].p99)),
    errors: rounds.reduce((sum, r) => sum + (r[name].errors ?? 0), 0),
    cpuUs: median(rounds.map((r) => r[name].cpuUs ?? 0)),
    syscalls: median(rounds.map((r) => r[name].syscalls ?? 0)),
  });
  const [floor, platform, bare, up] = ['floor', 'platform', 'bare', 'up'].map((n) => pick(loadRounds, n));
  const [floorSeq, platformSeq, bareSeq, upSeq] = ['floor', 'platform', 'bare', 'up'].map((n) =>
    pick(seqRounds, n),
  );
  const roundRatios = (a, b) => loadRounds.map((r) => r[a].rps / r[b].rps);
  const roundGaps = (a, b) => seqRounds.map((r) => r[a].p50 - r[b].p50);
  // SIGINT lets `fl up` close and write its CPU profile.
  upProc.kill('SIGINT');
  await new Promise((resolve) => upProc.once('exit', resolve));

  // ---- cold start: ~200 KB module, upload with push to first result ----
  const source = readFileSync(join(root, 'packages/testing/fixtures/wat/hello.wat'), 'utf8');
  const filler = Array.from(
    { length: 200 * 1024 },
    (_, i) => `\\${((i * 7) & 0xff).toString(16).padStart(2, '0')}`,
  ).join('');
  const big = await wat(
    source
      .replace('(memory (export "memory") 1)', '(memory (export "memory") 5)')
      .replace(
        '(func (export "__invoke")',
        `(data (i32.const 65536) "${filler}")\n  (func (export "__invoke")`,
      ),
  );
  const colds = [];
  const uploads = [];
  for (let i = 0; i < 7; i++) {
    const name = `cold_${i}`;
    const t0 = performance.now();
    await api(`${coreUrl}/v1/fn/_`, { method: 'POST', body: uploadForm(name, big) });
    uploads.push(performance.now() - t0);
    const first = await api(`${coreUrl}/v1/fn/_/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    });
    colds.push(performance.now() - t0);
    if (first.data?.payload !== 'Hello Bob!') throw new Error('cold start gave a wrong result');
  }
  colds.sort((a, b) => a - b);
  const coldMedian = colds[Math.floor(colds.length / 2)];
  uploads.sort((a, b) => a - b);
  const uploadMedian = uploads[Math.floor(uploads.length / 2)];

  // ---- 200 simulated Workers on one Core (in this process) ----
  const manyDir = join(dir, 'many');
  const env = { FL_DATA_DIR: manyDir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET };
  const { factory } = await coreClusterFromEnv(env);
  let cluster;
  const core = await startCore({
    port: 0,
    dataDir: manyDir,
    adminToken: ADMIN,
    logLevel: 'silent',
    cluster: (ctx) => (cluster = factory(ctx)),
  });
  const sims = [];
  const joinStart = performance.now();
  for (let i = 0; i < 200; i++) {
    sims.push(new SimulatedWorker({ url: core.url, name: `sim${i}`, secret: SECRET, memoryMiB: 1024 + i }));
  }
  await Promise.all(sims.map((s) => s.joined));
  const joinMs = performance.now() - joinStart;
  const pushStart = performance.now();
  const created = await api(`${core.url}/v1/fn/_`, { method: 'POST', body: uploadForm('hello', hello) });
  const pushMs = performance.now() - pushStart;
  const missing = created.data.missing_workers?.length ?? 0;
  const stored = sims.filter((s) => s.stored.has('_/hello')).length;
  if (!(cluster instanceof CoreCluster)) throw new Error('no cluster');
  const views = cluster.registry.views();
  const req = { tag: 'default', capacityMiB: 64 };
  for (let i = 0; i < 10_000; i++) defaultPolicy(cluster.registry.views(), req);
  const N = 100_000;
  const d0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) defaultPolicy(cluster.registry.views(), req);
  const decisionUs = Number(process.hrtime.bigint() - d0) / N / 1000;
  // A whole invocation through the cluster (placement, accounting, link) with 200 Workers joined.
  const fn = { module: '_', name: 'hello', hash: created.data.hash, tag: 'default', capacityMiB: 64 };
  const args = (i) => Buffer.from(JSON.stringify({ i }));
  for (let i = 0; i < 500; i++) await cluster.invoke(fn, args(i));
  const r0 = performance.now();
  for (let i = 0; i < 2000; i++) await cluster.invoke(fn, args(i));
  const relayUs = ((performance.now() - r0) / 2000) * 1000;
  for (const s of sims) s.close();
  await core.close();

  const ratios = roundRatios('platform', 'floor');
  const ratio = median(ratios);
  const percents = (values) => values.map((v) => `${fmt(v * 100, 1)}%`).join(', ');
  console.log(
    `warm invocation, hello, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s (autocannon in its own process; medians):`,
  );
  console.log(
    `  floor (node:http + runtime, one process): ${fmt(floor.rps, 0)} req/s, p50 ${floor.p50} ms, p99 ${floor.p99} ms, errors ${floor.errors}; CPU ${fmt(floor.cpuUs, 0)} µs/request, ${fmt(floor.syscalls, 1)} read/write syscalls/request`,
  );
  console.log(
    `  platform (Core + Worker processes):       ${fmt(platform.rps, 0)} req/s, p50 ${platform.p50} ms, p99 ${platform.p99} ms, errors ${platform.errors}; CPU ${fmt(platform.cpuUs, 0)} µs/request, ${fmt(platform.syscalls, 1)} read/write syscalls/request (both processes)`,
  );
  console.log(
    `  throughput ratio platform/floor: ${fmt(ratio * 100, 1)}% (median of rounds: ${percents(ratios)})  (target >= 75%: ${verdict(ratio >= 0.75)})`,
  );
  console.log(`  errors: ${platform.errors}  (target 0: ${verdict(platform.errors === 0)})`);
  console.log(
    `latency at concurrency 1 (${ROUNDS} rounds of 1000 sequential requests on one keep-alive connection, separate process):`,
  );
  console.log(`  floor p50 ${fmt(floorSeq.p50, 3)} ms, p99 ${fmt(floorSeq.p99, 3)} ms`);
  console.log(`  platform p50 ${fmt(platformSeq.p50, 3)} ms, p99 ${fmt(platformSeq.p99, 3)} ms`);
  const gaps = roundGaps('platform', 'floor');
  const p50Gap = median(gaps);
  console.log(
    `  platform - floor p50: ${fmt(p50Gap, 3)} ms (median of rounds: ${gaps.map((g) => fmt(g, 3)).join(', ')}) (target <= 0.15 ms: ${verdict(p50Gap <= 0.15)}); platform p50 target <= 1 ms: ${verdict(platformSeq.p50 <= 1)}`,
  );
  const upRatios = roundRatios('up', 'bare');
  const upRatio = median(upRatios);
  console.log(`one process (fl up, what npm start runs), same load and rounds:`);
  console.log(
    `  bare node:http, same JSON work, no Wasm: ${fmt(bare.rps, 0)} req/s, p50 ${bare.p50} ms, p99 ${bare.p99} ms; concurrency 1 p50 ${fmt(bareSeq.p50, 3)} ms; CPU ${fmt(bare.cpuUs, 0)} µs/request, ${fmt(bare.syscalls, 1)} syscalls/request`,
  );
  console.log(
    `  fl up (Core + Worker in one process):    ${fmt(up.rps, 0)} req/s, p50 ${up.p50} ms, p99 ${up.p99} ms; concurrency 1 p50 ${fmt(upSeq.p50, 3)} ms, errors ${up.errors}; CPU ${fmt(up.cpuUs, 0)} µs/request, ${fmt(up.syscalls, 1)} syscalls/request`,
  );
  console.log(
    `  throughput ratio fl up/bare: ${fmt(upRatio * 100, 1)}% (median of rounds: ${percents(upRatios)}); fl up/floor: ${fmt(median(roundRatios('up', 'floor')) * 100, 1)}%  (target >= 50%: ${verdict(upRatio >= 0.5)})`,
  );
  console.log(
    `cold start, ${(big.length / 1024).toFixed(0)} KB module, upload (pushed, wait_for_workers) to first result:`,
  );
  console.log(
    `  median ${fmt(coldMedian, 1)} ms, min ${fmt(colds[0], 1)} ms, max ${fmt(colds.at(-1), 1)} ms  (target <= 30 ms: ${verdict(coldMedian <= 30)}); of which the upload with push: median ${fmt(uploadMedian, 1)} ms`,
  );
  console.log(
    `idle resident memory (VmRSS, 2 s after start, before any function; node flags: ${NODE_FLAGS.join(' ') || 'none'}):`,
  );
  console.log(
    `  Core ${fmt(idleCore, 1)} MiB (target <= 80: ${verdict(idleCore <= 80)}), Worker ${fmt(idleWorker, 1)} MiB (target <= 60: ${verdict(idleWorker <= 60)})`,
  );
  console.log(
    `  after the load (Worker threads started): Core ${fmt(rssMiB(coreProc.pid), 1)} MiB, Worker ${fmt(rssMiB(workerProc.pid), 1)} MiB`,
  );
  console.log('200 simulated Workers joined to one Core:');
  console.log(
    `  all joined in ${fmt(joinMs, 0)} ms; create with wait_for_workers: ${fmt(pushMs, 1)} ms, ${stored}/200 stored, ${missing} missing (${verdict(stored === 200 && missing === 0)})`,
  );
  console.log(
    `  one default-policy decision over ${views.length} Workers: ${fmt(decisionUs, 2)} µs; invoke through the cluster (placement + link round trip): ${fmt(relayUs, 1)} µs`,
  );
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
