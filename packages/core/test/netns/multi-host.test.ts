// Several hosts on one machine: a Core and two Workers, each in its own network namespace joined by
// a bridge, the Workers finding the Core by multicast discovery alone (no FL_CORE_URL), and a
// client in a fourth namespace uploading and invoking a function through the Core's HTTP API.
// Needs root and iproute2 (CI has both); skipped with the reason otherwise.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { eventually, watFixture } from '@funless/testing';

import { NetnsLab, netnsUnavailable } from './netns-lab.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const CLI = join(root, 'packages/cli/dist/src/bin.js');
const CORE_DISCOVERY = join(root, 'packages/core/dist/src/discovery/index.js');
const WORKER_DISCOVERY = join(root, 'packages/worker/dist/src/discovery/index.js');
const HOSTS = ['core', 'w1', 'w2', 'client'];

const skip = await netnsUnavailable();

/** A process in a namespace, with its output kept for assertions and failure reports. */
interface Started {
  child: ChildProcess;
  output: () => string;
}

function keep(child: ChildProcess): Started {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Only what the processes need: nothing inherited may point them at a Core or a database. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...extra };
}

// The HTTP client, run inside the client namespace: reads a request as JSON on stdin, prints
// {status, body}. Files for multipart parts are read from the shared filesystem.
const HTTP_CLIENT = `
import { readFileSync } from 'node:fs';
let input = '';
for await (const chunk of process.stdin) input += chunk;
const spec = JSON.parse(input);
const headers = { ...spec.headers };
let body;
if (spec.json !== undefined) { body = JSON.stringify(spec.json); headers['content-type'] = 'application/json'; }
if (spec.form !== undefined) {
  body = new FormData();
  for (const [key, value] of Object.entries(spec.form.fields ?? {})) body.append(key, value);
  for (const [key, file] of Object.entries(spec.form.files ?? {})) body.append(key, new Blob([readFileSync(file.path)]), file.name);
}
try {
  const res = await fetch(spec.url, { method: spec.method, headers, body, signal: AbortSignal.timeout(10000) });
  console.log(JSON.stringify({ status: res.status, body: await res.text() }));
} catch (error) {
  console.log(JSON.stringify({ status: 0, body: String(error.cause ?? error) }));
}
`;

describe('multi-host cluster in network namespaces', { skip: skip ?? false, timeout: 120_000 }, () => {
  let lab: NetnsLab;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-netns-'));
    lab = await NetnsLab.create(HOSTS);
  });

  after(async () => {
    await lab?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function http(spec: {
    method: string;
    path: string;
    token?: string;
    json?: unknown;
    form?: { fields?: Record<string, string>; files?: Record<string, { path: string; name: string }> };
  }): Promise<{ status: number; body: string; json: () => unknown }> {
    const request = {
      method: spec.method,
      url: `http://${lab.address('core')}:4000${spec.path}`,
      headers: spec.token === undefined ? {} : { authorization: `Bearer ${spec.token}` },
      ...(spec.json === undefined ? {} : { json: spec.json }),
      ...(spec.form === undefined ? {} : { form: spec.form }),
    };
    const result = await lab.exec('client', process.execPath, ['--input-type=module', '-e', HTTP_CLIENT], {
      input: JSON.stringify(request),
    });
    if (result.code !== 0) throw new Error(`HTTP client failed (${result.code}): ${result.stderr}`);
    const { status, body } = JSON.parse(result.stdout) as { status: number; body: string };
    return { status, body, json: () => JSON.parse(body) };
  }

  test('multicast crosses the bridge: Workers in other namespaces hear the announcer; another secret does not', async () => {
    const secret = randomBytes(24).toString('hex');
    const discoveryPort = '7176';
    const announcer = keep(
      lab.spawn(
        'core',
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { MulticastAnnouncer } = await import(${JSON.stringify(CORE_DISCOVERY)});
         const a = new MulticastAnnouncer({ secret: process.env.S, corePort: 4000, port: ${discoveryPort}, intervalMs: 200, host: '0.0.0.0' });
         await a.start();
         console.log(JSON.stringify(a.interfaces()));
         setTimeout(() => a.close(), 20000);`,
        ],
        { env: baseEnv({ S: secret }) },
      ),
    );
    const listen = (host: string, listenSecret: string, waitMs: number) =>
      lab.exec(
        host,
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { MulticastDiscovery } = await import(${JSON.stringify(WORKER_DISCOVERY)});
           const d = new MulticastDiscovery({ secret: process.env.S, port: ${discoveryPort} });
           d.on('found', (url) => { console.log(url); void d.close().then(() => process.exit(0)); });
           await d.start();
           setTimeout(() => process.exit(3), ${waitMs});`,
        ],
        { env: baseEnv({ S: listenSecret }) },
      );
    try {
      const [w1, w2, stranger] = await Promise.all([
        listen('w1', secret, 8000),
        listen('w2', secret, 8000),
        listen('client', 'not-the-cluster-secret-at-all', 1500),
      ]);
      const context = `announcer: ${announcer.output()}\nw1: ${w1.stderr}\nw2: ${w2.stderr}`;
      assert.equal(w1.code, 0, context);
      assert.equal(w1.stdout.trim(), `ws://${lab.address('core')}:4000`, context);
      assert.equal(w2.code, 0, context);
      assert.equal(w2.stdout.trim(), `ws://${lab.address('core')}:4000`, context);
      assert.equal(stranger.code, 3, `a listener with another secret must find nothing: ${stranger.stdout}`);
      assert.equal(stranger.stdout, '');
    } finally {
      announcer.child.kill('SIGTERM');
    }
  });

  test('Core and two Workers on three hosts: Workers join by multicast, a function runs across hosts', async () => {
    const secret = randomBytes(24).toString('hex');
    const admin = `admin-${randomBytes(16).toString('hex')}`;
    const startedAt = Date.now();
    const core = keep(
      lab.spawn('core', process.execPath, [CLI, 'core'], {
        cwd: dir,
        env: baseEnv({
          FL_HOST: '0.0.0.0',
          FL_PORT: '4000',
          FL_DATA_DIR: join(dir, 'core'),
          FL_CLUSTER_SECRET: secret,
          FL_ADMIN_TOKEN: admin,
        }),
      }),
    );
    const startWorker = (host: string): Started =>
      keep(
        lab.spawn(host, process.execPath, [CLI, 'worker'], {
          cwd: dir,
          env: baseEnv({
            FL_DATA_DIR: join(dir, host),
            FL_CLUSTER_SECRET: secret,
            FL_WORKER_NAME: host,
            FL_WORKER_MEMORY_MIB: '256',
          }),
        }),
      );
    const workers = new Map<string, Started>([
      ['w1', startWorker('w1')],
      ['w2', startWorker('w2')],
    ]);
    const logs = () =>
      [['core', core] as const, ...workers.entries()]
        .map(([name, p]) => `\n--- ${name} ---\n${p.output()}`)
        .join('');

    /** Polls `GET /v1/workers` until it lists exactly `expected`. */
    const waitForWorkers = async (expected: string[], why: string): Promise<void> => {
      let names: string[] = [];
      await eventually(
        async () => {
          const res = await http({ method: 'GET', path: '/v1/workers', token: admin });
          if (res.status === 200) {
            names = (res.json() as { data: { name: string }[] }).data.map((w) => w.name).sort();
          }
          assert.equal(core.child.exitCode, null, `the Core exited:${logs()}`);
          return names.join() === expected.join();
        },
        () =>
          `${why} (Workers listed: ${names.join(', ') || 'none'}, expected ${expected.join(', ')}):${logs()}`,
        { timeoutMs: 45_000, intervalMs: 200 },
      );
    };
    const invoke = async (name: string): Promise<void> => {
      const invoked = await http({
        method: 'POST',
        path: '/v1/fn/_/hello',
        token: admin,
        json: { args: { name } },
      });
      assert.equal(invoked.status, 200, `invoke: ${invoked.body}${logs()}`);
      assert.deepEqual(invoked.json(), { data: { payload: `Hello ${name}!` } });
    };
    const kill = async (host: string): Promise<void> => {
      const worker = workers.get(host)!;
      worker.child.kill('SIGKILL');
      if (worker.child.exitCode === null && worker.child.signalCode === null)
        await once(worker.child, 'exit');
    };

    // Both Workers joined the Core they discovered, at its address on the bridge.
    await waitForWorkers(['w1', 'w2'], 'both Workers should have joined');
    console.log(`# both Workers joined ${Date.now() - startedAt} ms after the processes started`);
    for (const worker of workers.values()) {
      assert.match(worker.output(), /multicast discovery: Core found/, `found by multicast:${logs()}`);
      assert.ok(
        worker.output().includes(`ws://${lab.address('core')}:4000`),
        `the Core's bridge address:${logs()}`,
      );
    }

    // Upload the hello function: pushed to both Workers across the bridge, then invoked from the client host.
    const wasm = join(dir, 'hello.wasm');
    await writeFile(wasm, await watFixture('hello'));
    const created = await http({
      method: 'POST',
      path: '/v1/fn/_',
      token: admin,
      form: { fields: { name: 'hello' }, files: { code: { path: wasm, name: 'hello.wasm' } } },
    });
    assert.equal(created.status, 201, `create: ${created.body}${logs()}`);
    assert.equal(
      (created.json() as { data: { missing_workers?: unknown } }).data.missing_workers,
      undefined,
      `every Worker took the code: ${created.body}`,
    );
    for (let i = 0; i < 3; i++) await invoke(`netns ${i}`);

    // Each Worker alone serves invocations: w2 gone, w1 runs them; w2 back (found again by
    // multicast), w1 gone, w2 runs them.
    await kill('w2');
    await waitForWorkers(['w1'], 'a killed Worker leaves');
    await invoke('from w1');
    const restartedAt = Date.now();
    workers.set('w2', startWorker('w2'));
    await waitForWorkers(['w1', 'w2'], 'a restarted Worker rejoins by multicast');
    console.log(`# a restarted Worker rejoined in ${Date.now() - restartedAt} ms`);
    await kill('w1');
    await waitForWorkers(['w2'], 'a killed Worker leaves');
    await invoke('from w2');
  });
});
