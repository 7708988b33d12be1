// Core REST API overhead (docs/api.md). Over real HTTP with autocannon, in one run:
//  - baseline: GET /v1/ (health: no auth, no body, no database);
//  - invoke: POST /v1/fn/_/hello with a cluster that answers at once, so that the figure is the
//    Core's own cost per invocation (auth, cached function lookup, JSON in and out);
//  - show: GET /v1/fn/_/hello (auth + one SQLite query);
//  - upload: create + delete of a function (multipart, Wasm validation, SQLite write), sequential.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';
import { pino } from 'pino';

import { startCore } from '../packages/core/dist/src/index.js';
import { watFixture } from '../packages/testing/dist/src/index.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = 16;
const token = 'bench-admin-token-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-core-'));
const cluster = {
  functionStored: async () => ({ acknowledged: [], missing: [] }),
  functionDeleted: async () => {},
  invoke: async (_fn, input) => Buffer.concat([Buffer.from('{"echo":'), input, Buffer.from('}')]),
  workers: () => [],
  close: async () => {},
};
const core = await startCore({
  port: 0,
  dataDir,
  adminToken: token,
  logger: pino({ level: 'silent' }),
  cluster,
});
const code = await watFixture('hello');

async function upload(name) {
  const form = new FormData();
  form.append('name', name);
  form.append('code', new Blob([code]), 'hello.wasm');
  const res = await fetch(`${core.url}/v1/fn/_`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
}
await upload('hello');

async function run(title, opts) {
  const { path, ...rest } = opts;
  const result = await autocannon({
    url: `${core.url}${path}`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    ...rest,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${title}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

const auth = { authorization: `Bearer ${token}` };
const rows = [
  await run('GET /v1/ (baseline)', { path: '/v1/' }),
  await run('POST /v1/fn/_/hello (invoke)', {
    path: '/v1/fn/_/hello',
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ args: { name: 'bench' } }),
  }),
  await run('GET /v1/fn/_/hello (show)', { path: '/v1/fn/_/hello', headers: auth }),
];
const base = rows[0].rps;
console.log(`${CONNECTIONS} connections, ${DURATION_S} s each, SQLite`);
for (const r of rows) {
  console.log(
    `${r.title.padEnd(32)} ${Math.round(r.rps).toString().padStart(7)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
      `ratio to baseline ${(r.rps / base).toFixed(2)}`,
  );
}

const UPLOADS = 200;
const start = process.hrtime.bigint();
for (let i = 0; i < UPLOADS; i++) {
  await upload(`u${i}`);
  const res = await fetch(`${core.url}/v1/fn/_/u${i}`, { method: 'DELETE', headers: auth });
  if (res.status !== 204) throw new Error(`delete: ${res.status}`);
}
const ms = Number(process.hrtime.bigint() - start) / 1e6 / UPLOADS;
console.log(
  `create + delete of a ${code.byteLength}-byte function: ${ms.toFixed(2)} ms per pair (${UPLOADS} pairs)`,
);

await core.close();
rmSync(dataDir, { recursive: true, force: true });
