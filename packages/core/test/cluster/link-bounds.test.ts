// What an unauthenticated peer, or a Worker holding the secret, may make the Core hold or do on
// the link: the pre-join frame bound, the bound on connections waiting to join, one store read per
// function for concurrent code requests, and the resources a Worker may claim.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';

import {
  decodeCoreFrame,
  ErrorCode,
  LINK_PREJOIN_MAX_FRAME_BYTES,
  LinkCloseCode,
  WORKER_RESOURCE_LIMITS,
} from '@funless/protocol';
import type { CoreMessage } from '@funless/protocol';
import { eventually } from '@funless/testing';
import WebSocket from 'ws';

import { CoreCluster } from '../../src/cluster/index.js';
import type { CodeSource, CoreClusterOptions } from '../../src/cluster/index.js';
import { SimulatedWorker } from './support/simulated-worker.js';

const SECRET = 'link-bounds-test-secret-42';
const FN = { module: '_', name: 'f', hash: 'a'.repeat(64), tag: 'default', capacityMiB: 64 };
const MIB = 1024 * 1024;

async function listen(store: CodeSource, options: Partial<CoreClusterOptions> = {}) {
  const server: Server = createServer((_req, res) => res.end());
  const cluster = new CoreCluster({ secret: SECRET, server, store, ...options });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/link`;
  const closers: (() => void)[] = [];
  return {
    cluster,
    url,
    worker(name: string, memoryMiB = 1024) {
      const sim = new SimulatedWorker({ url, name, secret: SECRET, memoryMiB });
      closers.push(() => sim.close());
      return sim;
    },
    /** A raw client that stops after the challenge: it never joins. */
    async idle(): Promise<{ ws: WebSocket; closed: Promise<number> }> {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      closers.push(() => ws.terminate());
      ws.on('error', () => {});
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        ws.once('message', (data: Buffer) => {
          const message: CoreMessage = decodeCoreFrame(data);
          if (message.type === 'challenge') resolve();
          else reject(new Error(`expected a challenge, got ${message.type}`));
        });
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      });
      return { ws, closed };
    },
    async close() {
      for (const c of closers) c();
      await cluster.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const noCode: CodeSource = { getFunctionWithCode: () => Promise.resolve(undefined) };

/** A masked binary WebSocket frame header (client to server) announcing `length` payload bytes. */
function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** Rejects after `ms`: every wait in these tests has a bound. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

test('before joining, a frame announcing more than the pre-join bound is refused from its header (1009), its payload never awaited', async () => {
  const s = await listen(noCode, { handshakeTimeoutMs: 30_000 });
  try {
    const { ws, closed } = await s.idle();
    const before = process.memoryUsage().arrayBuffers;
    // 60 MiB announced, 1 KiB sent: the Core cannot be waiting for the rest to decide.
    const socket = (ws as unknown as { _socket: Socket })._socket;
    socket.write(Buffer.concat([frameHeader(60 * MIB), randomBytes(1024)]));
    assert.equal(await within(closed, 10_000, 'the close'), 1009);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 4 * MIB, `the Core's buffers grew by ${grown} bytes`);
    assert.equal(s.cluster.counters.joins, 0);
  } finally {
    await s.close();
  }
});

test('before joining, a whole frame just over the pre-join bound is refused with 1009; a joined Worker may send large frames', async () => {
  const s = await listen(noCode);
  try {
    const { ws, closed } = await s.idle();
    ws.send(randomBytes(LINK_PREJOIN_MAX_FRAME_BYTES + 1));
    assert.equal(await within(closed, 10_000, 'the close'), 1009);

    const w = s.worker('big');
    await w.joined;
    // The echo answers with the input itself: a result frame of 1 MiB from a joined Worker.
    const input = randomBytes(MIB);
    const result = await s.cluster.invoke(FN, input);
    assert.equal(Buffer.compare(Buffer.from(result), input), 0);
  } finally {
    await s.close();
  }
});

test('more connections than maxPendingJoins waiting to join are answered 503, and a Worker joins once one leaves', async () => {
  const s = await listen(noCode, { maxPendingJoins: 3, handshakeTimeoutMs: 30_000 });
  try {
    const idle = [await s.idle(), await s.idle(), await s.idle()];
    assert.equal(s.cluster.pendingJoins, 3);
    await assert.rejects(s.idle(), /HTTP 503/);
    assert.equal(s.cluster.counters.pendingRefused, 1);

    idle[0]!.ws.terminate();
    await eventually(() => s.cluster.pendingJoins === 2, 'the Core saw the idle connection go');
    const w = s.worker('honest');
    await w.joined;
    assert.deepEqual(s.cluster.workerNames(), ['honest']);
    assert.equal(s.cluster.pendingJoins, 2, 'a joined Worker no longer counts as waiting');
  } finally {
    await s.close();
  }
});

test('concurrent code requests for one function share one store read, and the Core answers others meanwhile', async () => {
  let reads = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const code = randomBytes(256 * 1024);
  const store: CodeSource = {
    async getFunctionWithCode(module, name) {
      reads++;
      await held;
      return module === FN.module && name === FN.name ? { hash: FN.hash, code } : undefined;
    },
  };
  const s = await listen(store);
  try {
    const greedy = s.worker('greedy');
    const other = s.worker('other');
    await Promise.all([greedy.joined, other.joined]);
    const requests = 50;
    for (let id = 1; id <= requests; id++) {
      greedy.send({ type: 'code_request', id, module: FN.module, name: FN.name, hash: FN.hash });
    }
    await eventually(() => reads > 0, 'the store read started');
    // While the read is held, the Core still answers the other Worker.
    other.send({ type: 'ping', at: 42 });
    const pong = await other.waitFor('pong');
    assert.equal(pong.at, 42);
    release();
    await eventually(
      () => greedy.received.filter((m) => m.type === 'code_reply').length === requests,
      'every code request answered',
    );
    assert.equal(reads, 1, 'one store read for all the concurrent requests');
    assert.equal(s.cluster.counters.codeReads, 1);
    for (const m of greedy.received) {
      if (m.type === 'code_reply') assert.ok(m.ok && Buffer.from(m.code).equals(code));
    }
    // A later request reads again: the code may have changed since.
    greedy.send({ type: 'code_request', id: 99, module: FN.module, name: FN.name, hash: FN.hash });
    await eventually(
      () => greedy.received.some((m) => m.type === 'code_reply' && m.id === 99),
      'the later reply',
    );
    assert.equal(reads, 2);
  } finally {
    await s.close();
  }
});

test('a join claiming more memory than WORKER_RESOURCE_LIMITS is refused, and a report claiming it, a CPU use over 1 or a load over the bound closes the link', async () => {
  const s = await listen(noCode);
  try {
    const liar = s.worker('liar', 1e9);
    await assert.rejects(liar.joined, new RegExp(`${ErrorCode.BadRequest}: .*memoryTotalMiB 1000000000`));
    assert.equal(await liar.closed, LinkCloseCode.ProtocolError);

    const honest = s.worker('honest', 1024);
    const boaster = s.worker('boaster', 1024);
    const busy = s.worker('busy', 1024);
    const loaded = s.worker('loaded', 1024);
    await Promise.all([honest.joined, boaster.joined, busy.joined, loaded.joined]);
    const huge = WORKER_RESOURCE_LIMITS.maxMemoryMiB + 1;
    const usage = { cpuUse: 0.5, loadAverage1: 1, loadAverage5: 1, loadAverage15: 1 };
    const report = { type: 'report', memoryTotalMiB: 1024, memoryFreeMiB: 512, reservedMiB: 0, running: 0 };
    boaster.send({ ...report, ...usage, type: 'report', memoryTotalMiB: huge, memoryFreeMiB: huge });
    busy.send({ ...report, ...usage, type: 'report', cpuUse: 1.5 });
    const overLoad = WORKER_RESOURCE_LIMITS.maxLoadAverage + 1;
    loaded.send({ ...report, ...usage, type: 'report', loadAverage5: overLoad });
    for (const liar of [boaster, busy, loaded]) {
      assert.equal(await within(liar.closed, 10_000, 'the close'), LinkCloseCode.ProtocolError);
    }
    await eventually(() => s.cluster.workerNames().length === 1, 'the liars left scheduling');
    assert.deepEqual(s.cluster.workerNames(), ['honest']);
    for (let i = 0; i < 5; i++) await s.cluster.invoke(FN, Buffer.from('{}'));
    const invoked = honest.received.filter((m) => m.type === 'invoke').length;
    assert.equal(invoked, 5, 'every invocation went to the honest Worker');
  } finally {
    await s.close();
  }
});

test('code requests from a Worker that does not read its replies are answered overloaded once its link holds maxUnsentCodeBytes', async () => {
  const code = randomBytes(MIB);
  const store: CodeSource = { getFunctionWithCode: () => Promise.resolve({ hash: FN.hash, code }) };
  const s = await listen(store, { maxUnsentCodeBytes: 4 * MIB });
  try {
    const hoarder = s.worker('hoarder');
    await hoarder.joined;
    // Stop reading: what the Core sends piles up in its socket once the kernel's buffers are full.
    const socket = (hoarder.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const requests = 200;
    for (let id = 1; id <= requests; id++) {
      hoarder.send({ type: 'code_request', id, module: FN.module, name: FN.name, hash: FN.hash });
    }
    await eventually(
      () => s.cluster.counters.codeServed + s.cluster.counters.codeOverloaded === requests,
      'every code request answered',
    );
    assert.ok(s.cluster.counters.codeOverloaded > 0, 'some requests were answered overloaded');
    assert.ok(
      s.cluster.counters.codeServed < requests / 2,
      `${s.cluster.counters.codeServed} of ${requests} replies carried the code`,
    );
    socket.resume();
    await eventually(
      () => hoarder.received.filter((m) => m.type === 'code_reply').length === requests,
      'every reply arrived',
    );
    const refused = hoarder.received.find((m) => m.type === 'code_reply' && !m.ok);
    assert.ok(refused && refused.type === 'code_reply' && refused.error?.code === ErrorCode.Overloaded);
  } finally {
    await s.close();
  }
});
