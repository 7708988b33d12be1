// A Core process killed while it runs an asynchronous invocation, with another one queued: after
// its restart the queued one runs and the running one ends `interrupted`, never run twice.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { eventually, watFixture } from '@funless/testing';

import { coreProcess, freeTcpPort } from '../support/core-process.js';
import { DIALECTS, createTestDatabase } from '../support/databases.js';
import { spawnWorker } from './support/worker-process.js';

const SECRET = 'async-restart-secret-0123456789';
const ADMIN = 'async-restart-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

for (const dialect of DIALECTS) {
  describe(`asynchronous invocations across a Core restart (${dialect})`, () => {
    test('killed (SIGKILL) while one runs and one waits: the waiting one runs after the restart, the running one ends interrupted', async () => {
      const db = await createTestDatabase(dialect);
      const port = await freeTcpPort();
      const url = `http://127.0.0.1:${port}`;
      const env: Record<string, string> = {
        FL_PORT: String(port),
        FL_DATA_DIR: join(db.dataDir, 'core'),
        FL_ADMIN_TOKEN: ADMIN,
        FL_CLUSTER_SECRET: SECRET,
        FL_DISCOVERY: 'off',
        FL_ASYNC_CONCURRENCY: '1',
        FL_INVOKE_TIMEOUT_MS: '30000',
        ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
      };
      let core = await coreProcess(env);
      const worker = spawnWorker('w_async', join(db.dataDir, 'worker'), {
        FL_CORE_URL: url,
        FL_CLUSTER_SECRET: SECRET,
        FL_WORKER_THREADS: '2',
        FL_WORKER_MEMORY_MIB: '256',
        FL_RECONNECT_MAX_DELAY_MS: '200',
      });
      const api = (method: string, path: string, body?: FormData) =>
        fetch(`${url}${path}`, { method, headers: auth, ...(body ? { body } : {}) });
      const activation = async (id: string) =>
        ((await (await api('GET', `/v1/activations/${id}`)).json()) as { data: Record<string, unknown> })
          .data;
      try {
        await eventually(
          async () =>
            ((await (await api('GET', '/v1/workers')).json()) as { data: unknown[] }).data.length === 1,
          'the Worker joined',
        );
        for (const [name, fixture] of [
          ['loop', 'infinite-loop'],
          ['hello', 'hello'],
        ] as const) {
          const form = new FormData();
          form.set('name', name);
          form.set('code', new Blob([await watFixture(fixture)]), `${name}.wasm`);
          assert.equal((await api('POST', '/v1/fn/_', form)).status, 201);
        }

        const running = (await api('POST', '/v1/fn/_/loop?blocking=false')).headers.get(
          'x-fl-activation-id',
        )!;
        await eventually(async () => (await activation(running)).status === 'running', 'the loop runs');
        const queuedRes = await fetch(`${url}/v1/fn/_/hello?blocking=false`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: '{"args":{"name":"Bob"}}',
        });
        assert.equal(queuedRes.status, 202);
        const queued = ((await queuedRes.json()) as { data: { activation_id: string } }).data.activation_id;
        assert.equal((await activation(queued)).status, 'queued', 'the only slot is taken');

        core.child.kill('SIGKILL');
        await killed(core.child);
        core = await coreProcess(env);

        let seen: Record<string, unknown> = {};
        await eventually(
          async () => (seen = await activation(queued)).status === 'success',
          () => `the queued one ran: ${JSON.stringify(seen)}`,
          { timeoutMs: 20_000 },
        );
        const hello = await activation(queued);
        assert.deepEqual(hello.result, { payload: 'Hello Bob!' });
        assert.equal(hello.worker, 'w_async');
        const loop = await activation(running);
        assert.equal(loop.status, 'interrupted');
        assert.match(String(loop.error), /the Core stopped while this invocation ran: .* not run again/);
        // It ran once: the record keeps its end, and nothing claims it again.
        const listed = (await (await api('GET', '/v1/activations?function=loop')).json()) as {
          data: unknown[];
        };
        assert.equal(listed.data.length, 1);
      } finally {
        await worker.stop('SIGKILL');
        core.child.kill('SIGKILL');
        await killed(core.child);
        await db.cleanup();
      }
    });
  });
}
