// The Core serving HTTPS with a certificate from files (FL_TLS_CERT, FL_TLS_KEY): the API over
// https, the Worker link over wss on the same port, announced as wss; Worker processes trust a
// self-signed certificate through NODE_EXTRA_CA_CERTS, and one that does not trust it says so.
// See docs/configuration.md, "TLS".
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ECHO_WAT, eventually, freeUdpPort, TLS_FIXTURE, wat } from '@funless/testing';

import type { CoreCluster } from '../../src/index.js';
import { startClusterCore } from './support/cluster-core.js';
import type { RunningCore } from '../../src/index.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'tls-test-secret-0123456789';
const ADMIN = 'tls-test-admin-token-0123';
const GROUP = '239.255.70.79';
const CA = readFileSync(TLS_FIXTURE.certFile);

/** One HTTPS request trusting the test certificate (this process has no NODE_EXTRA_CA_CERTS). */
async function https(
  url: string,
  options: { method?: string; body?: string | FormData; ca?: Buffer | null } = {},
): Promise<{ status: number; text: string }> {
  const encoded = options.body === undefined ? undefined : new Response(options.body);
  const payload = encoded ? Buffer.from(await encoded.arrayBuffer()) : Buffer.alloc(0);
  const type = options.body instanceof FormData ? encoded!.headers.get('content-type')! : 'application/json';
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          authorization: `Bearer ${ADMIN}`,
          'content-type': type,
          'content-length': String(payload.length),
        },
        ...(options.ca === null ? {} : { ca: options.ca ?? CA }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('a Core serving HTTPS with a certificate from files', () => {
  let dir: string;
  let core: RunningCore;
  let cluster: CoreCluster;
  const workers: WorkerProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-tls-'));
    const discoveryPort = String(await freeUdpPort());
    const env = {
      FL_DATA_DIR: dir,
      FL_CLUSTER_SECRET: SECRET,
      FL_DISCOVERY_GROUP: GROUP,
      FL_DISCOVERY_PORT: discoveryPort,
      FL_DISCOVERY_INTERVAL_MS: '200',
    };
    ({ core, cluster } = await startClusterCore(env, {
      adminToken: ADMIN,
      tlsCertFile: TLS_FIXTURE.certFile,
      tlsKeyFile: TLS_FIXTURE.keyFile,
    }));
    // This Worker has no FL_CORE_URL: it finds the Core by its (wss) announcement on loopback.
    workers.push(
      spawnWorker('trusting', join(dir, 'trusting'), {
        FL_CLUSTER_SECRET: SECRET,
        FL_DISCOVERY_GROUP: GROUP,
        FL_DISCOVERY_PORT: discoveryPort,
        FL_WORKER_MEMORY_MIB: '256',
        FL_WORKER_THREADS: '1',
        NODE_EXTRA_CA_CERTS: TLS_FIXTURE.certFile,
      }),
    );
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the API is served over https', async () => {
    assert.match(core.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await https(`${core.url}/v1/`);
    assert.equal(res.status, 200, res.text);
    // A client that does not trust the certificate is refused by its own TLS check.
    await assert.rejects(https(`${core.url}/v1/`, { ca: null }), /self-signed certificate/);
  });

  test('a Worker process trusting the certificate (NODE_EXTRA_CA_CERTS) finds the Core announced as wss and joins', async () => {
    const [worker] = workers;
    const found = await worker!.waitForLog(/multicast discovery: Core found/);
    assert.match(found, /"url":"wss:\/\/127\.0\.0\.1:\d+"/);
    await eventually(() => cluster.workerNames().includes('trusting'), 'the Worker joined over wss');
    const form = new FormData();
    form.set('name', 'echo');
    form.set('code', new Blob([await wat(ECHO_WAT)]), 'echo.wasm');
    const created = await https(`${core.url}/v1/fn/_`, { method: 'POST', body: form });
    assert.equal(created.status, 201, created.text);
    const res = await https(`${core.url}/v1/fn/_/echo`, {
      method: 'POST',
      body: JSON.stringify({ args: { over: 'wss' } }),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{"data":{"over":"wss"}}');
  });

  test('a Worker process that does not trust the certificate refuses the Core and says how to trust it', async () => {
    const worker = spawnWorker('doubting', join(dir, 'doubting'), {
      FL_CORE_URL: core.url,
      FL_CLUSTER_SECRET: SECRET,
      FL_DISCOVERY: 'off',
      FL_WORKER_MEMORY_MIB: '256',
      FL_WORKER_THREADS: '1',
    });
    workers.push(worker);
    const line = await worker.waitForLog(/TLS certificate/);
    assert.match(line, /"level":50/, 'logged as an error');
    assert.match(line, /is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate\)/);
    assert.match(line, /NODE_EXTRA_CA_CERTS/);
    assert.equal(cluster.workerNames().includes('doubting'), false);
  });
});
