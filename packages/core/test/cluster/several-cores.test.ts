// Two Core processes on one PostgreSQL database, two Worker processes connected to both: every
// change made through one Core is seen by the other (functions, subjects, APP scripts), the load
// one places is seen by the other, either Core may die and come back, and a Core that loses the
// database for a while recovers by itself.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, wat, watFixture } from '@funless/testing';
import pg from 'pg';

import { coreProcess, freeTcpPort } from '../support/core-process.js';
import type { CoreProcess } from '../support/core-process.js';
import { createTestDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'several-cores-secret-0123456789';
const ADMIN = 'several-cores-admin-token-0123';
/** Generous: the machine is shared; the propagation time itself is measured by the benchmark. */
const WAIT = { timeoutMs: 15_000, intervalMs: 20 };

interface Core {
  name: 'a' | 'b';
  port: number;
  env: Record<string, string>;
  process: CoreProcess | undefined;
}

describe(
  'two Cores on one PostgreSQL database, two Workers connected to both',
  {
    skip: process.env.FL_TEST_PG_URL
      ? false
      : 'no PostgreSQL server (scripts/run-tests.mjs sets FL_TEST_PG_URL)',
  },
  () => {
    let db: TestDatabase;
    let admin: pg.Client;
    const cores: Record<'a' | 'b', Core> = {} as Record<'a' | 'b', Core>;
    const workers: WorkerProcess[] = [];
    const tag = randomBytes(4).toString('hex');
    let helloCode: Uint8Array;
    let howdyCode: Uint8Array;

    const url = (core: Core) => `http://127.0.0.1:${core.port}`;
    const api = (
      core: Core,
      method: string,
      path: string,
      options: { json?: unknown; form?: FormData; token?: string } = {},
    ) =>
      fetch(`${url(core)}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token ?? ADMIN}`,
          ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
        ...(options.form ? { body: options.form } : {}),
      });
    const upload = (core: Core, method: 'POST' | 'PUT', name: string, code: Uint8Array, capacity = 16) => {
      const form = new FormData();
      form.set('name', name);
      form.set('code', new Blob([code]), `${name}.wasm`);
      form.set('metadata', JSON.stringify({ capacity }));
      return api(core, method, method === 'POST' ? '/v1/fn/_' : `/v1/fn/_/${name}`, { form });
    };
    /** The payload an invocation through `core` answered, or the error's status and detail. */
    const invoke = async (
      core: Core,
      name: string,
      body: unknown = { args: { name: 'Bob' } },
      token?: string,
    ) => {
      const res = await api(core, 'POST', `/v1/fn/_/${name}`, { json: body, ...(token ? { token } : {}) });
      const json = (await res.json()) as { data?: { payload?: unknown }; errors?: { detail: string } };
      return {
        status: res.status,
        payload: json.data?.payload,
        detail: json.errors?.detail,
        id: res.headers.get('x-fl-activation-id'),
      };
    };
    const workersOf = async (core: Core) =>
      (
        (await (await api(core, 'GET', '/v1/workers')).json()) as {
          data: { name: string; memoryFreeMiB: number }[];
        }
      ).data;
    const bothJoined = (core: Core) =>
      eventually(
        async () => (await workersOf(core)).length === 2,
        `both Workers joined Core ${core.name}`,
        WAIT,
      );

    async function start(core: Core): Promise<void> {
      core.process = await coreProcess(core.env);
    }

    before(async () => {
      db = await createTestDatabase('postgres');
      admin = new pg.Client({ connectionString: process.env.FL_TEST_PG_URL });
      await admin.connect();
      helloCode = await watFixture('hello');
      const source = await readFile(
        new URL('../../../../testing/fixtures/wat/hello.wat', import.meta.url),
        'utf8',
      );
      howdyCode = await wat(source.replaceAll('Hello ', 'Howdy '));
      for (const name of ['a', 'b'] as const) {
        // Each Core's connections carry its name, so that a test can cut exactly that Core's.
        const databaseUrl = new URL(db.databaseUrl!);
        databaseUrl.searchParams.set('application_name', `fl-${tag}-${name}`);
        const port = await freeTcpPort();
        cores[name] = {
          name,
          port,
          process: undefined,
          env: {
            FL_PORT: String(port),
            FL_DATA_DIR: join(db.dataDir, `core-${name}`),
            DATABASE_URL: databaseUrl.toString(),
            FL_ADMIN_TOKEN: ADMIN,
            FL_CLUSTER_SECRET: SECRET,
            FL_DISCOVERY: 'off',
            FL_LOG_LEVEL: 'info',
            // Periodic reports far apart: what B learns of A's placements within the test's waits
            // comes from the reports a change of load makes.
            FL_REPORT_INTERVAL_MS: '30000',
            FL_LIVENESS_TIMEOUT_MS: '120000',
          },
        };
      }
      // A first: it owns the once-per-cluster work before B exists.
      await start(cores.a);
      await eventually(
        () => cores.a.process!.out().includes('now owns activation-retention'),
        'A owns retention',
        WAIT,
      );
      await start(cores.b);
      for (const name of ['w1', 'w2']) {
        workers.push(
          spawnWorker(name, join(db.dataDir, name), {
            FL_CORE_URL: `${url(cores.a)},${url(cores.b)}`,
            FL_CLUSTER_SECRET: SECRET,
            FL_WORKER_MEMORY_MIB: '512',
            FL_WORKER_THREADS: '2',
            FL_RECONNECT_MAX_DELAY_MS: '200',
          }),
        );
      }
      await bothJoined(cores.a);
      await bothJoined(cores.b);
    });

    after(async () => {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      for (const core of Object.values(cores)) await core.process?.stop('SIGKILL');
      await admin?.end();
      await db?.cleanup();
    });

    test('a function created through A is invocable through B with its code', async () => {
      assert.equal((await upload(cores.a, 'POST', 'hello', helloCode)).status, 201);
      assert.deepEqual(await invoke(cores.b, 'hello').then((r) => [r.status, r.payload]), [
        200,
        'Hello Bob!',
      ]);
    });

    test('an update through A is what B invokes next (B had the old version cached)', async () => {
      // B has just invoked the old code, so its cache holds the old hash.
      assert.equal((await upload(cores.a, 'PUT', 'hello', howdyCode)).status, 200);
      await eventually(
        async () => (await invoke(cores.b, 'hello')).payload === 'Howdy Bob!',
        'B runs the new code',
        WAIT,
      );
      // And never the old one again.
      for (let i = 0; i < 5; i++) assert.equal((await invoke(cores.b, 'hello')).payload, 'Howdy Bob!');
    });

    test('a subject rotated, then deleted, through A is refused by B', async () => {
      const created = await api(cores.a, 'POST', '/v1/admin/subjects', {
        json: { subject: { name: 'carol' } },
      });
      assert.equal(created.status, 201);
      const first = ((await created.json()) as { data: { token: string } }).data.token;
      assert.equal(
        (await api(cores.b, 'GET', '/v1/fn', { token: first })).status,
        200,
        'B knows the new subject',
      );
      const rotated = await api(cores.a, 'POST', '/v1/admin/subjects/carol/token');
      const second = ((await rotated.json()) as { data: { token: string } }).data.token;
      await eventually(
        async () => (await api(cores.b, 'GET', '/v1/fn', { token: first })).status === 401,
        'B refuses the old token',
        WAIT,
      );
      assert.equal(
        (await api(cores.b, 'GET', '/v1/fn', { token: second })).status,
        200,
        'B takes the new token',
      );
      assert.equal((await api(cores.a, 'DELETE', '/v1/admin/subjects/carol')).status, 204);
      await eventually(
        async () => (await api(cores.b, 'GET', '/v1/fn', { token: second })).status === 401,
        'B refuses the deleted subject',
        WAIT,
      );
    });

    test('an APP script changed through A places the next invocations through B by its new text', async () => {
      const activationWorker = async (id: string | null) =>
        ((await (await api(cores.b, 'GET', `/v1/activations/${id}`)).json()) as { data: { worker: string } })
          .data.worker;
      const pin = (worker: string) => `- default:\n    - workers: [${worker}]\n`;
      const scheduling = { args: { name: 'Bob' }, scheduling: { language: 'app', script: 'pin' } };
      assert.equal(
        (await api(cores.a, 'POST', '/v1/scripts/app', { json: { name: 'pin', script: pin('w1') } })).status,
        201,
      );
      const first = await invoke(cores.b, 'hello', scheduling);
      assert.equal(first.status, 200, first.detail);
      await eventually(async () => (await activationWorker(first.id)) === 'w1', 'placed on w1', WAIT);
      assert.equal(
        (await api(cores.a, 'PUT', '/v1/scripts/app/pin', { json: { script: pin('w2') } })).status,
        200,
      );
      await eventually(
        async () => {
          const next = await invoke(cores.b, 'hello', scheduling);
          return (
            next.status === 200 &&
            (await eventually(() => activationWorker(next.id), 'its record', WAIT)) === 'w2'
          );
        },
        'B places by the new script',
        WAIT,
      );
    });

    test('a Worker that joins only B later gets the code from B and runs it', async () => {
      const late = spawnWorker('w3', join(db.dataDir, 'w3'), {
        FL_CORE_URL: url(cores.b),
        FL_CLUSTER_SECRET: SECRET,
        FL_WORKER_MEMORY_MIB: '256',
        FL_WORKER_THREADS: '1',
      });
      workers.push(late);
      await eventually(
        async () => (await workersOf(cores.b)).some((w) => w.name === 'w3'),
        'w3 joined B',
        WAIT,
      );
      assert.equal(
        (
          await api(cores.a, 'POST', '/v1/scripts/app', {
            json: { name: 'late', script: '- default:\n    - workers: [w3]\n' },
          })
        ).status,
        201,
      );
      const res = await invoke(cores.b, 'hello', {
        args: { name: 'Bob' },
        scheduling: { language: 'app', script: 'late' },
      });
      assert.deepEqual([res.status, res.payload], [200, 'Howdy Bob!'], res.detail);
    });

    test('B sees the memory that invocations placed through A hold on a Worker', async () => {
      // 300 of the Worker's 512 MiB, held until the time limit stops the loop.
      assert.equal(
        (await upload(cores.a, 'POST', 'loop', await watFixture('infinite-loop'), 300)).status,
        201,
      );
      const running = api(cores.a, 'POST', '/v1/fn/_/loop?blocking=false');
      assert.equal((await running).status, 202);
      await eventually(
        async () => (await workersOf(cores.b)).some((w) => w.memoryFreeMiB <= 512 - 300),
        'B counts the 300 MiB placed through A',
        WAIT,
      );
    });

    test('A killed: B serves every function and takes the once-per-cluster work; A rejoins when restarted', async () => {
      await cores.a.process!.stop('SIGKILL');
      for (const name of ['hello']) {
        const res = await invoke(cores.b, name);
        assert.equal(res.status, 200, res.detail);
      }
      await eventually(
        () => cores.b.process!.out().includes('now owns activation-retention'),
        'B took retention over',
        WAIT,
      );
      await start(cores.a);
      await bothJoined(cores.a);
      assert.deepEqual(await invoke(cores.a, 'hello').then((r) => [r.status, r.payload]), [
        200,
        'Howdy Bob!',
      ]);
    });

    test('B cut off from PostgreSQL for a while: not ready meanwhile, then serves again by itself and sees what changed', async () => {
      const b = cores.b;
      let sawUnready = false;
      // Every connection B opens is killed for two seconds; A changes the function meanwhile.
      const until = Date.now() + 2_000;
      let changed = false;
      while (Date.now() < until) {
        await admin.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [`fl-${tag}-b`],
        );
        if (!changed) {
          assert.equal((await upload(cores.a, 'PUT', 'hello', helloCode)).status, 200);
          changed = true;
        }
        if ((await fetch(`${url(b)}/v1/ready`)).status === 503) sawUnready = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(sawUnready, 'B said it was not ready while it could not reach the database');
      await eventually(async () => (await fetch(`${url(b)}/v1/ready`)).status === 200, 'B ready again', WAIT);
      await eventually(
        async () => (await invoke(b, 'hello')).payload === 'Hello Bob!',
        'B runs the code changed meanwhile',
        WAIT,
      );
    });
  },
);
