import assert from 'node:assert/strict';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { watFixture } from '@funless/testing';

import { startCore } from '../src/server/index.js';
import type { RunningCore } from '../src/server/index.js';
import { coreProcess, spawnRunCore } from './support/core-process.js';
import { DIALECTS, createTestDatabase } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { encodeForm, silentLogger, tokensFromFile } from './support/test-core.js';

async function api(
  core: RunningCore,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let payload: string | Uint8Array | undefined;
  if (body instanceof Uint8Array || typeof body === 'string') {
    payload = body;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  return fetch(`${core.url}${path}`, {
    method,
    headers,
    ...(payload !== undefined ? { body: payload } : {}),
  });
}

for (const dialect of DIALECTS) {
  describe(`restart (${dialect})`, () => {
    test('a port already in use is a clear error naming FL_PORT; the first Core keeps serving', async () => {
      const db = await createTestDatabase(dialect);
      const options = { port: 0, dataDir: db.dataDir, databaseUrl: db.databaseUrl, logger: silentLogger };
      const first = await startCore(options);
      // Its own data directory: on SQLite the first Core's is locked (see the data directory tests).
      const other = await createTestDatabase(dialect);
      try {
        const port = Number(new URL(first.url).port);
        await assert.rejects(
          startCore({ ...options, port, dataDir: other.dataDir, databaseUrl: other.databaseUrl }),
          new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use .*FL_PORT`),
        );
        // The first Core still answers.
        assert.equal((await fetch(`${first.url}/v1/`)).status, 200);
      } finally {
        await first.close();
        await other.cleanup();
        await db.cleanup();
      }
    });

    test('a restart against the same data loses nothing and keeps the tokens', async () => {
      const db = await createTestDatabase(dialect);
      const options = { port: 0, dataDir: db.dataDir, databaseUrl: db.databaseUrl, logger: silentLogger };
      try {
        const first = await startCore(options);
        const tokensText = await readFile(first.tokensFile, 'utf8');
        assert.equal(first.tokensFile, join(db.dataDir, 'tokens'));
        assert.equal((await stat(first.tokensFile)).mode & 0o777, 0o600);
        const { admin, guest } = tokensFromFile(tokensText);
        const code = await watFixture('hello');
        assert.equal((await api(first, admin, 'POST', '/v1/fn', { module: { name: 'kept' } })).status, 201);
        const form = await encodeForm({ name: 'hello', code, metadata: '{"capacity":8}' });
        const created = await fetch(`${first.url}/v1/fn/kept`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': form.contentType },
          body: form.body,
        });
        assert.equal(created.status, 201);
        const alice = (await (
          await api(first, admin, 'POST', '/v1/admin/subjects', { subject: { name: 'alice' } })
        ).json()) as {
          data: { token: string };
        };
        await first.close();

        const second = await startCore(options);
        try {
          assert.equal(
            await readFile(second.tokensFile, 'utf8'),
            tokensText,
            'the tokens file is left as it was',
          );
          const shown = await api(second, guest, 'GET', '/v1/fn/kept/hello');
          assert.equal(shown.status, 200);
          const fn = ((await shown.json()) as { data: { size: number; metadata: { capacity: number } } })
            .data;
          assert.equal(fn.size, code.byteLength);
          assert.equal(fn.metadata.capacity, 8);
          const stored = await second.store.getFunctionWithCode('kept', 'hello');
          assert.deepEqual(Buffer.from(stored?.code ?? []), Buffer.from(code));
          assert.equal((await api(second, alice.data.token, 'GET', '/v1/fn')).status, 200);
          assert.equal((await api(second, admin, 'GET', '/v1/admin/subjects')).status, 200);
          const modules = (await (await api(second, admin, 'GET', '/v1/fn')).json()) as {
            data: { name: string }[];
          };
          assert.deepEqual(
            modules.data.map((m) => m.name),
            ['_', 'kept'],
          );
        } finally {
          await second.close();
        }
      } finally {
        await db.cleanup();
      }
    });

    test('FL_ADMIN_TOKEN presets the admin token, on first and later starts', async () => {
      const db = await createTestDatabase(dialect);
      const base = { port: 0, dataDir: db.dataDir, databaseUrl: db.databaseUrl, logger: silentLogger };
      try {
        const first = await startCore({ ...base, adminToken: 'preset-admin-token-1' });
        assert.match(await readFile(first.tokensFile, 'utf8'), /^Admin=preset-admin-token-1$/m);
        assert.equal((await api(first, 'preset-admin-token-1', 'GET', '/v1/admin/subjects')).status, 200);
        await first.close();
        const second = await startCore({ ...base, adminToken: 'preset-admin-token-2' });
        try {
          assert.equal((await api(second, 'preset-admin-token-2', 'GET', '/v1/admin/subjects')).status, 200);
          assert.equal((await api(second, 'preset-admin-token-1', 'GET', '/v1/admin/subjects')).status, 401);
        } finally {
          await second.close();
        }
      } finally {
        await db.cleanup();
      }
    });
  });
}

describe('runCore', () => {
  test('starts from the environment, prints URL and tokens file, and exits cleanly on SIGTERM', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const core = await coreProcess({ FL_DATA_DIR: db.dataDir });
      assert.match(core.out(), new RegExp(`Tokens file: ${join(db.dataDir, 'tokens')}`));
      const health = await fetch(`${core.url}/v1/`);
      assert.equal(health.status, 200);
      assert.equal(await core.stop(), 0);
    } finally {
      await db.cleanup();
    }
  });

  test('without its tokens file a later start says where the tokens are not and what to do', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const first = await coreProcess({ FL_DATA_DIR: db.dataDir });
      assert.equal(await first.stop(), 0);
      await rm(join(db.dataDir, 'tokens'));
      const second = await coreProcess({ FL_DATA_DIR: db.dataDir });
      assert.match(
        second.out(),
        /Tokens: no file at .*tokens: this database was set up earlier.*FL_ADMIN_TOKEN/,
      );
      assert.doesNotMatch(second.out(), /Tokens file:/);
      assert.equal(await second.stop(), 0);
    } finally {
      await db.cleanup();
    }
  });

  test('a bad variable stops it with a message naming the variable', async () => {
    const child = spawnRunCore({ FL_PORT: 'eighty' });
    let err = '';
    child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.notEqual(code, 0);
    assert.match(err, /FL_PORT must be a whole number, got "eighty"/);
  });
});

describe('shutdown', () => {
  test('close() lets an in-flight invocation finish, then refuses new connections', async () => {
    const db = await createTestDatabase('sqlite');
    let invoked: () => void = () => {};
    const started = new Promise<void>((resolve) => (invoked = resolve));
    let release: (value: unknown) => void = () => {};
    const cluster = new RecordingCluster(() => {
      invoked();
      return new Promise((resolve) => (release = resolve));
    });
    const token = 'shutdown-admin-token';
    const core = await startCore({
      port: 0,
      dataDir: db.dataDir,
      logger: silentLogger,
      adminToken: token,
      cluster,
    });
    try {
      const form = await encodeForm({ name: 'slow', code: await watFixture('hello') });
      const created = await fetch(`${core.url}/v1/fn/_`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': form.contentType },
        body: form.body,
      });
      assert.equal(created.status, 201);
      const inFlight = api(core, token, 'POST', '/v1/fn/_/slow', { args: {} });
      await started;
      const closing = core.close();
      setTimeout(() => release({ late: true }), 100);
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { data: { late: true } });
      await closing;
      assert.equal(cluster.closed, true);
      await assert.rejects(fetch(`${core.url}/v1/`));
    } finally {
      await core.close();
      await db.cleanup();
    }
  });
});
