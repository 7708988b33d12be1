// The Core refuses at join the Worker names and tags a Worker refuses for itself: one rule,
// `isWorkerName`/`isWorkerTag` in @funless/protocol, on both sides of the link.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import { LinkCloseCode } from '@funless/protocol';

import { CoreCluster } from '../../src/cluster/index.js';
import { SimulatedWorker } from './support/simulated-worker.js';

const SECRET = 'join-identity-test-secret';

test('a Worker whose name or tag breaks the Worker rule is refused at join with 4000', async () => {
  const server = createServer((_req, res) => res.end());
  const cluster = new CoreCluster({
    secret: SECRET,
    server,
    store: { getFunctionWithCode: () => Promise.resolve(undefined) },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const cases: [string, string][] = [
      ['has space', 'default'],
      ['w'.repeat(161), 'default'],
      ['empty-tag', ''],
      ['long-tag', 't'.repeat(161)],
    ];
    for (const [name, tag] of cases) {
      const worker = new SimulatedWorker({ url, name, tag, secret: SECRET });
      try {
        await assert.rejects(
          worker.joined,
          /bad_request: a Worker name must be 1-160 letters, digits, _, \. or - and its tag 1-160 characters/,
          `${name} / ${JSON.stringify(tag)}`,
        );
        assert.equal(await worker.closed, LinkCloseCode.ProtocolError);
      } finally {
        worker.close();
      }
    }
    assert.deepEqual(cluster.workerNames(), []);
    assert.equal(cluster.counters.refused, cases.length);
    const ok = new SimulatedWorker({ url, name: 'fine.name-1', tag: 'gpu', secret: SECRET });
    await ok.joined;
    assert.deepEqual(cluster.workerNames(), ['fine.name-1']);
    ok.close();
  } finally {
    await cluster.close();
    await new Promise((resolve) => server.close(resolve));
  }
});
