// The link alone, by transport: a CoreCluster and a WorkerAgent in this one process, joined over
// WebSocket on loopback (what separate processes use, both ends here) or in process (what `fl up`
// uses), with a stand-in runtime that answers at once, so that only the link is measured: CPU time
// and system calls per invocation at concurrency 32, and the latency of one invocation at a time.
// CPU per invocation of a single-threaded process barely moves with the machine's other load,
// unlike requests per second. See docs/architecture.md, "The link".
// LINK_METRICS=off,on also measures each transport with the Core's metrics fed (GET /metrics),
// alternating in one run (docs/architecture.md, "Observability").
// Usage: npm run bench -- link   (LINK_INVOCATIONS=20000 LINK_ROUNDS=3 LINK_TRANSPORTS=websocket,in-process LINK_METRICS=off)
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (pkg, path) => join(root, 'packages', pkg, 'dist', path);
const { CoreCluster, CoreMetrics } = await import(dist('core', 'src/index.js'));
const { WorkerAgent } = await import(dist('worker', 'src/index.js'));

const SECRET = 'link-bench-secret-0123456789';
const N = Number(process.env.LINK_INVOCATIONS ?? 20_000);
const ROUNDS = Number(process.env.LINK_ROUNDS ?? 3);
const CONCURRENCY = 32;
const FN = { module: '_', name: 'hello', hash: 'a'.repeat(64), tag: 'default', capacityMiB: 64 };

/** Answers every invocation at once with hello's answer: no Wasm, no thread. */
const runtime = {
  store: async () => {},
  list: () => [],
  drop: () => false,
  // Answered from a later task, as a guest thread's reply arrives.
  invoke: async (req) => {
    await new Promise((resolve) => setImmediate(resolve));
    return { result: { payload: `Hello ${req.input.name}!` }, logs: [], durationMs: 0 };
  },
  close: async () => {},
};

function syscalls() {
  const io = readFileSync('/proc/self/io', 'utf8');
  return Number(/syscr: (\d+)/.exec(io)[1]) + Number(/syscw: (\d+)/.exec(io)[1]);
}

async function connect(transport, withMetrics) {
  const server = createServer((_req, res) => res.end());
  const cluster = new CoreCluster({
    secret: SECRET,
    server,
    store: { getFunctionWithCode: async () => undefined },
    ...(withMetrics ? { metrics: new CoreMetrics({ workers: () => cluster.workers() }) } : {}),
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new WorkerAgent({
    name: 'bench',
    secret: SECRET,
    runtime,
    threads: 32,
    memoryMiB: 1_000_000,
  });
  if (transport === 'websocket') agent.addCore(`ws://127.0.0.1:${server.address().port}`);
  else agent.addCore({ url: 'in-process', dial: () => cluster.connectInProcess() });
  await agent.joined();
  return {
    cluster,
    async close() {
      await agent.close();
      await cluster.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function load(cluster, count) {
  let next = 0;
  const lane = async () => {
    while (next++ < count) await cluster.invoke(FN, { name: 'Bob' });
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

async function measure(variant) {
  const [transport, metrics] = variant.split('+');
  const { cluster, close } = await connect(transport, metrics === 'metrics');
  try {
    await load(cluster, 5_000);
    const cpu0 = process.cpuUsage();
    const sys0 = syscalls();
    const t0 = performance.now();
    await load(cluster, N);
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const calls = syscalls() - sys0;
    const samples = [];
    for (let i = 0; i < 2_000; i++) {
      const t = performance.now();
      await cluster.invoke(FN, { name: 'Bob' });
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    return {
      cpuUs: (cpu.user + cpu.system) / N,
      rps: N / (wallMs / 1000),
      syscalls: calls / N,
      p50: samples[samples.length >> 1],
    };
  } finally {
    await close();
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
// LINK_TRANSPORTS=websocket measures a tree that has no in-process transport (before it existed).
const metricsModes = (process.env.LINK_METRICS ?? 'off').split(',');
const results = Object.fromEntries(
  (process.env.LINK_TRANSPORTS ?? 'websocket,in-process')
    .split(',')
    .flatMap((t) => metricsModes.map((m) => [m === 'on' ? `${t}+metrics` : t, []])),
);
for (let round = 0; round < ROUNDS; round++) {
  for (const variant of Object.keys(results)) results[variant].push(await measure(variant));
}
console.log(
  `the link alone, Core and Worker in this process, stand-in runtime; ${N} invocations at concurrency ${CONCURRENCY}, medians of ${ROUNDS} rounds:`,
);
for (const [transport, rounds] of Object.entries(results)) {
  const m = (key) => median(rounds.map((r) => r[key]));
  console.log(
    `  ${transport.padEnd(18)}: ${m('cpuUs').toFixed(1)} µs CPU/invocation (rounds: ${rounds.map((r) => r.cpuUs.toFixed(1)).join(', ')}), ${m('syscalls').toFixed(2)} read/write syscalls/invocation, ${m('rps').toFixed(0)} invocations/s; one at a time p50 ${(m('p50') * 1000).toFixed(0)} µs`,
  );
}
