// A man in the middle between a Worker process and the Core, on loopback: a relay that records
// every byte and rewrites or alters what the Core sends. After the join the link is sealed, so the
// relay reads nothing and changes nothing; it can only break the link. See docs/architecture.md,
// "The link".
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ECHO_WAT, eventually, wat } from '@funless/testing';

import type { CoreCluster } from '../../src/index.js';
import { startClusterCore } from './support/cluster-core.js';
import type { RunningCore } from '../../src/index.js';
import { TcpRelay } from './support/tcp-relay.js';
import { spawnWorker } from './support/worker-process.js';
import type { WorkerProcess } from './support/worker-process.js';

const SECRET = 'link-relay-secret-0123456789';
const ADMIN = 'link-relay-admin-token-0123';
const auth = { authorization: `Bearer ${ADMIN}` };
const CARD = Buffer.from('card-4111');
const FORGED = Buffer.from('card-6666');
/** Larger than any ping or report frame, smaller than an invocation's. */
const INVOKE_FRAME_MIN_BYTES = 100;

describe('a relay between a Worker process and the Core', () => {
  let dir: string;
  let core: RunningCore;
  let cluster: CoreCluster;
  let relay: TcpRelay;
  let worker: WorkerProcess;
  /** Frames the relay rewrote (`card-4111` → `card-6666`). */
  let rewrites = 0;
  /** While set, the relay flips one byte of the next large frame from the Core, then clears it. */
  let flipNext = false;
  let flipped = 0;

  async function invoke(args: unknown): Promise<{ status: number; text: string }> {
    const res = await fetch(`${core.url}/v1/fn/_/echo`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ args }),
    });
    return { status: res.status, text: await res.text() };
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fl-relay-'));
    const env = { FL_DATA_DIR: dir, FL_DISCOVERY: 'off', FL_CLUSTER_SECRET: SECRET };
    ({ core, cluster } = await startClusterCore(
      env,
      {
        adminToken: ADMIN,
      },
      { pushTimeoutMs: 5_000 },
    ));
    relay = await TcpRelay.start({
      targetPort: Number(new URL(core.url).port),
      coreFrame: (payload) => {
        for (let at = payload.indexOf(CARD); at >= 0; at = payload.indexOf(CARD, at + 1)) {
          FORGED.copy(payload, at);
          rewrites++;
        }
        if (flipNext && payload.length >= INVOKE_FRAME_MIN_BYTES) {
          flipNext = false;
          flipped++;
          // Near the end: the input's last bytes in a plain frame, the tag in a sealed one.
          payload[payload.length - 3]! ^= 0x01;
        }
      },
    });
    worker = spawnWorker('relayed', join(dir, 'worker'), {
      FL_CORE_URL: `http://127.0.0.1:${relay.port}`,
      FL_CLUSTER_SECRET: SECRET,
      FL_WORKER_MEMORY_MIB: '256',
      FL_WORKER_THREADS: '1',
      FL_RECONNECT_MAX_DELAY_MS: '300',
    });
    await eventually(() => cluster.workerNames().includes('relayed'), 'the Worker joined through the relay');
    const form = new FormData();
    form.set('name', 'echo');
    form.set('code', new Blob([await wat(ECHO_WAT)]), 'echo.wasm');
    const res = await fetch(`${core.url}/v1/fn/_`, { method: 'POST', headers: auth, body: form });
    assert.equal(res.status, 201, await res.text());
    assert.equal(relay.connections, 1);
  });

  after(async () => {
    await worker?.stop('SIGKILL');
    await relay?.close();
    await core?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('reads nothing of an invocation and cannot rewrite it: the function gets what the caller sent', async () => {
    const res = await invoke({ card: 'card-4111' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.text, '{"data":{"card":"card-4111"}}');
    assert.equal(rewrites, 0, 'the relay found the card number to rewrite');
    const recorded = relay.bytes();
    assert.ok(recorded.length > 0);
    assert.equal(recorded.includes(CARD), false, 'the card number crossed the relay in the clear');
  });

  test('a byte altered on the way closes the link: the invocation fails, never run on altered input', async () => {
    flipNext = true;
    const res = await invoke({ card: 'card-4111' });
    assert.equal(flipped, 1);
    assert.equal(res.status, 503, res.text);
    assert.match(res.text, /disconnected before answering/);
    await worker.waitForLog(/^(?=.*bad frame from the Core)(?=.*sealed message \d+ failed authentication)/);
    // The Worker dials again and joins; the next invocation is whole.
    await eventually(
      () => cluster.counters.joins === 2 && cluster.workerNames().includes('relayed'),
      'rejoined',
    );
    const again = await invoke({ card: 'card-4111' });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.text, '{"data":{"card":"card-4111"}}');
    assert.equal(relay.connections, 2);
  });
});
