import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { pino } from 'pino';

import { defaultWorkerName, WORKER_ID_FILE } from '../../src/agent/index.js';
import { runWorker, workerIdentityFromEnv } from '../../src/process/index.js';

const silent = pino({ level: 'silent' });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fl-run-worker-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('the default Worker name is the host name plus a suffix that survives restarts', () =>
  withDir(async (dir) => {
    const first = await defaultWorkerName(dir);
    assert.match(first, /^[A-Za-z0-9_.-]+-[0-9a-f]{6}$/);
    assert.ok(first.startsWith(hostname().replace(/[^A-Za-z0-9_.-]/g, '_')));
    assert.equal(await defaultWorkerName(dir), first);
    const other = await mkdtemp(join(tmpdir(), 'fl-run-worker-other-'));
    try {
      assert.notEqual(await defaultWorkerName(other), first, 'another data directory, another name');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }));

test('without a secret the Worker waits for the Core to write one, then says what to set', () =>
  withDir(async (dir) => {
    const started = Date.now();
    await assert.rejects(
      runWorker(
        { FL_DATA_DIR: dir, FL_SECRET_WAIT_MS: '300', FL_CORE_URL: 'ws://127.0.0.1:1' },
        { handleSignals: false, logger: silent },
      ),
      /no cluster secret: set FL_CLUSTER_SECRET/,
    );
    assert.ok(Date.now() - started >= 250);
  }));

test('bad Worker variables are refused with their name', () =>
  withDir(async (dir) => {
    const base = {
      FL_DATA_DIR: dir,
      FL_CLUSTER_SECRET: 'run-worker-test-secret-1',
      FL_CORE_URL: 'ws://127.0.0.1:1',
    };
    const run = (env: Record<string, string>) =>
      runWorker({ ...base, ...env }, { handleSignals: false, logger: silent });
    await assert.rejects(
      run({ FL_WORKER_MEMORY_MIB: 'lots' }),
      /FL_WORKER_MEMORY_MIB must be a positive whole number/,
    );
    await assert.rejects(
      run({ FL_RECONNECT_MAX_DELAY_MS: '0' }),
      /FL_RECONNECT_MAX_DELAY_MS must be a positive/,
    );
    await assert.rejects(run({ FL_WORKER_NAME: 'bad name!' }), /Worker name must be 1-160/);
    await assert.rejects(run({ FL_CLUSTER_SECRET: 'short' }), /FL_CLUSTER_SECRET is 5 characters/);
  }));

test('runWorker starts a Worker that keeps trying its Core and closes cleanly', () =>
  withDir(async (dir) => {
    const worker = await runWorker(
      {
        FL_DATA_DIR: dir,
        FL_CLUSTER_SECRET: 'run-worker-test-secret-1',
        FL_CORE_URL: 'http://127.0.0.1:1',
        FL_WORKER_NAME: 'solo',
        FL_WORKER_THREADS: '1',
      },
      { handleSignals: false, logger: silent },
    );
    try {
      assert.equal(worker.name, 'solo');
      assert.deepEqual(
        worker.agent.cores().map((c) => c.url),
        ['ws://127.0.0.1:1'],
      );
      assert.notEqual(worker.agent.cores()[0]!.state, 'joined');
    } finally {
      await worker.close();
    }
  }));

test('fl worker and fl up read the tag, name and memory offer alike; a bad memory offer names its variable', () => {
  assert.deepEqual(workerIdentityFromEnv({}), { tag: 'default' });
  assert.deepEqual(
    workerIdentityFromEnv({ FL_WORKER_TAG: ' edge ', FL_WORKER_NAME: 'pi-1', FL_WORKER_MEMORY_MIB: '512' }),
    { tag: 'edge', name: 'pi-1', memoryMiB: 512 },
  );
  for (const bad of ['lots', '0', '1.5']) {
    assert.throws(() => workerIdentityFromEnv({ FL_WORKER_MEMORY_MIB: bad }), {
      name: 'ConfigError',
      message: /FL_WORKER_MEMORY_MIB/,
    });
  }
});

test('a Worker makes its data directory and the worker-id file owner-only, tightening what an earlier start left', () =>
  withDir(async (dir) => {
    const dataDir = join(dir, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    await writeFile(join(dataDir, WORKER_ID_FILE), 'abc123\n', { mode: 0o644 });
    await chmod(join(dataDir, WORKER_ID_FILE), 0o644);
    const worker = await runWorker(
      {
        FL_DATA_DIR: dataDir,
        FL_CLUSTER_SECRET: 'run-worker-test-secret-1',
        FL_CORE_URL: 'http://127.0.0.1:1',
        FL_WORKER_THREADS: '1',
      },
      { handleSignals: false, logger: silent },
    );
    try {
      assert.match(worker.name, /-abc123$/, 'the existing id is kept');
      const mode = async (path: string) => (await stat(path)).mode & 0o777;
      assert.equal(await mode(dataDir), 0o700);
      assert.equal(await mode(join(dataDir, WORKER_ID_FILE)), 0o600);
      assert.equal(await mode(join(dataDir, 'code')), 0o700);
    } finally {
      await worker.close();
    }
    const fresh = join(dir, 'fresh');
    await defaultWorkerName(fresh);
    assert.equal((await stat(fresh)).mode & 0o777, 0o700);
    assert.equal((await stat(join(fresh, WORKER_ID_FILE))).mode & 0o777, 0o600);
  }));
