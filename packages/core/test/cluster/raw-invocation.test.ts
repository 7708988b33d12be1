// Inputs and results cross the Core and a Worker process as bytes, over HTTP and the link: what a
// client sends is what the guest reads, what the guest writes is what the client gets, and every
// limit is a clear error at once. See docs/architecture.md, "The link".
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { INVOCATION_LIMITS } from '@funless/protocol';
import { ECHO_WAT, eventually, fillWat, wat } from '@funless/testing';

import type { CoreCluster } from '../../src/index.js';
import { startClusterCore } from './support/cluster-core.js';
import type { RunningCore } from '../../src/index.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'raw-invocation-secret-0123456789';
const ADMIN = 'raw-invocation-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };
/** Short, so that an answer lost on the way would show as a 504 soon rather than pass. */
const INVOKE_TIMEOUT_MS = 3_000;

/** 10,000 nested arrays: about 20 KB, deeper than `JSON.stringify` can go. */
const DEEP = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
const DEEP_WAT = `(module
  (import "fl_imps" "__insert_response" (func $response (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "${DEEP}")
  (func (export "__invoke") (param i32) (result i32)
    (call $response (i32.const 0) (i32.const ${DEEP.length}))
    (i32.const 0)))`;

describe('invocation input and results cross the link as bytes', () => {
  let dir: string;
  let core: RunningCore;
  let cluster: CoreCluster;
  let worker: WorkerProcess;

  async function upload(name: string, source: string): Promise<void> {
    const form = new FormData();
    form.set('name', name);
    form.set('code', new Blob([await wat(source)]), `${name}.wasm`);
    const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth, body: form });
    assert.equal(res.status, 201, await res.text());
  }

  /** Invokes with `body` sent as it is (a string, so nothing in the test re-encodes it). */
  async function invoke(name: string, body: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`${core.url}/v1/fn/_/${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, text: await res.text() };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-raw-'));
    const env = { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET };
    ({ core, cluster } = await startClusterCore(
      env,
      {
        adminToken: ADMIN,
        invokeTimeoutMs: INVOKE_TIMEOUT_MS,
      },
      { pushTimeoutMs: 5_000 },
    ));
    worker = spawnWorker('raw', join(dir, 'worker'), {
      FL_CORE_URL: core.url,
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_MEMORY_MIB: '512',
      FL_WORKER_THREADS: '1',
    });
    await eventually(() => cluster.workerNames().includes('raw'), 'the Worker joined');
    await upload('echo', ECHO_WAT);
  });

  after(async () => {
    await worker?.stop('SIGKILL');
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('an integer beyond 2^53 in the input and the result comes back exactly, escapes and all', async () => {
    const args = '{"n":12345678901234567890,"s":"caf\\u00e9","f":1.0}';
    const res = await invoke('echo', `{"scheduling":{"language":"none"}, "args" : ${args} }`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, `{"data":${args}}`);
    // No args at all is {}.
    assert.deepEqual(await invoke('echo', ''), { status: 200, text: '{"data":{}}' });
  });

  test('a result of 10,000 nested arrays is answered 200 as it is', async () => {
    await upload('deep', DEEP_WAT);
    const res = await invoke('deep', '{}');
    assert.equal(res.status, 200, res.text.slice(0, 200));
    assert.equal(res.text, `{"data":${DEEP}}`);
  });

  test('a result of 4 MB of invalid UTF-8 (a JSON string once decoded with replacements) is a 422 saying so', async () => {
    await upload('binary', fillWat('__insert_response', 0xff, 4 * 1024 * 1024, true));
    const res = await invoke('binary', '{}');
    assert.equal(res.status, 422, res.text);
    assert.match(res.text, /result is not valid UTF-8 \(4194304 bytes\)/);
  });

  test('a result over the result limit is a 422 naming the limit', async () => {
    await upload('huge', fillWat('__insert_response', 0x20, INVOCATION_LIMITS.maxResultBytes + 1));
    const res = await invoke('huge', '{}');
    assert.equal(res.status, 422, res.text);
    assert.match(res.text, /larger than the result limit of 6291456 bytes/);
  });

  test('an error message too big for the link is a 422 at once, cut with a mark', async () => {
    // Control characters: 4 MiB of them are 24 MiB of JSON escapes, three times the header limit.
    await upload('shouting', fillWat('__insert_error', 0x01, 4 * 1024 * 1024));
    const res = await invoke('shouting', '{}');
    assert.equal(res.status, 422, res.text.slice(0, 200));
    assert.match(res.text, /… \[error message cut at 65536 of 4194304 bytes\]"/);
  });

  test('args over the input limit are a 413 naming the limit, before any Worker is asked', async () => {
    const before = cluster.counters.invocations;
    const big = 'x'.repeat(INVOCATION_LIMITS.maxInputBytes + 1024);
    const res = await invoke('echo', `{"args":{"big":"${big}"}}`);
    assert.equal(res.status, 413, res.text.slice(0, 200));
    const bytes = Buffer.byteLength(`{"big":"${big}"}`);
    assert.match(
      res.text,
      new RegExp(`args of ${bytes} bytes are larger than the input limit of 6291456 bytes`),
    );
    assert.equal(cluster.counters.invocations, before);
  });
});
