// The Worker's link agent against a scripted Core (a bare WebSocket server speaking the protocol)
// and a stand-in runtime: handshake, reports, pushes, code fetches, reconnection and draining.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';

import {
  coreProof,
  decodeWorkerFrame,
  encodeFrame,
  ErrorCode,
  FrameOpener,
  FrameSealer,
  LINK_PREJOIN_MAX_FRAME_BYTES,
  LINK_PROTOCOL_VERSION,
  linkKeys,
  linkNonce,
  proofsMatch,
  workerProof,
} from '@funless/protocol';
import type { CoreMessage, JoinMessage, WorkerMessage } from '@funless/protocol';
import { eventually } from '@funless/testing';
import { WebSocket, WebSocketServer } from 'ws';

import { WorkerAgent } from '../../src/agent/index.js';
import type { AgentLogger, AgentRuntime } from '../../src/agent/index.js';
import { StubRuntime } from './stub-runtime.js';

const SECRET = 'agent-test-secret-0123456789';
const HASH = 'c'.repeat(64);

/** The JSON bytes of a value: what the Core sends as an invocation's input. */
/** The Core's `invoke` of m/f (HASH) number `id`, whose input is `id` itself. */
function invokeOf(id: number): CoreMessage {
  return {
    type: 'invoke',
    id,
    module: 'm',
    name: 'f',
    hash: HASH,
    capacityMiB: 64,
    input: json(id),
    timeoutMs: 1000,
    chainDepth: 0,
  };
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

interface CoreSide {
  socket: WebSocket;
  join: JoinMessage;
  received: WorkerMessage[];
  send(message: CoreMessage): void;
  waitFor(predicate: (m: WorkerMessage) => boolean, timeoutMs?: number): Promise<WorkerMessage>;
}

/** A scripted Core: accepts links, checks the Worker's proof, answers with its own. */
async function fakeCore(
  options: {
    secret?: string;
    reportIntervalMs?: number;
    livenessTimeoutMs?: number;
    beforeAccept?: () => void;
  } = {},
) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const joins: CoreSide[] = [];
  let connections = 0;
  wss.on('connection', (socket) => {
    connections++;
    const nonce = linkNonce();
    const received: WorkerMessage[] = [];
    // Sealed after join_accepted, as the Core's own frames are.
    let sealer: FrameSealer | undefined;
    let opener: FrameOpener | undefined;
    const send = (m: CoreMessage) => {
      const frame = encodeFrame(m);
      socket.send(sealer ? sealer.seal([frame]) : frame);
    };
    socket.on('message', (data: Buffer) => {
      for (const frame of opener ? opener.open(data) : [data]) receive(frame);
    });
    const receive = (frame: Uint8Array): void => {
      const message = decodeWorkerFrame(frame);
      received.push(message);
      if (message.type === 'join') {
        const secret = options.secret ?? SECRET;
        if (!proofsMatch(workerProof(SECRET, nonce, message.nonce, message.name), message.proof)) {
          socket.close(4001);
          return;
        }
        const accept = () =>
          send({
            type: 'join_accepted',
            core: 'fake',
            proof: coreProof(secret, nonce, message.nonce, message.name),
            reportIntervalMs: options.reportIntervalMs ?? 5_000,
            livenessTimeoutMs: options.livenessTimeoutMs ?? 15_000,
          });
        options.beforeAccept?.();
        accept();
        const keys = linkKeys(secret, nonce, message.nonce, message.name, 'core');
        sealer = new FrameSealer(keys.send);
        opener = new FrameOpener(keys.receive);
        joins.push({
          socket,
          join: message,
          received,
          send,
          waitFor: (predicate, timeoutMs = 5_000) =>
            eventually(() => received.find(predicate), 'the Core got no such message', { timeoutMs }),
        });
      }
    };
    send({ type: 'challenge', protocol: LINK_PROTOCOL_VERSION, nonce, core: 'fake' });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return {
    url,
    joins,
    connections: () => connections,
    async joined(count = 1): Promise<CoreSide> {
      return eventually(() => joins[count - 1], `${count} joins (${joins.length} so far)`, {
        timeoutMs: 5_000,
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

function recordingLogger(): AgentLogger & { lines: string[] } {
  const lines: string[] = [];
  const log = (fields: object, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

function agent(runtime: AgentRuntime, extra: Partial<ConstructorParameters<typeof WorkerAgent>[0]> = {}) {
  return new WorkerAgent({
    name: 'w1',
    tag: 'edge',
    secret: SECRET,
    runtime,
    memoryMiB: 512,
    threads: 3,
    reconnectInitialDelayMs: 20,
    reconnectMaxDelayMs: 100,
    ...extra,
  });
}

test('the agent joins with its name, tag, memory and threads, then reports at the interval the Core asks', async () => {
  const core = await fakeCore({ reportIntervalMs: 30 });
  const a = agent(new StubRuntime());
  try {
    a.addCore(core.url);
    const side = await core.joined();
    assert.equal(side.join.name, 'w1');
    assert.equal(side.join.tag, 'edge');
    assert.equal(side.join.memoryTotalMiB, 512);
    assert.equal(side.join.threads, 3);
    const report = await side.waitFor((m) => m.type === 'report');
    assert.equal(report.type === 'report' && report.memoryTotalMiB, 512);
    await a.joined();
    assert.equal(a.cores()[0]!.state, 'joined');
  } finally {
    await a.close();
    await core.close();
  }
});

test('concurrent invocations of code the Worker lacks fetch it once, keep it, and all succeed', async () => {
  const core = await fakeCore();
  const runtime = new StubRuntime();
  const a = agent(runtime);
  try {
    a.addCore(core.url);
    const side = await core.joined();
    for (const id of [1, 2, 3]) {
      side.send(invokeOf(id));
    }
    const request = await side.waitFor((m) => m.type === 'code_request');
    assert.equal(request.type === 'code_request' && request.hash, HASH);
    side.send({
      type: 'code_reply',
      id: (request as { id: number }).id,
      ok: true,
      code: new Uint8Array([0, 1, 2]),
    });
    for (const id of [1, 2, 3]) {
      const result = await side.waitFor((m) => m.type === 'result' && m.id === id);
      assert.equal(result.type === 'result' && Buffer.from(result.result).toString(), String(id));
    }
    side.send(invokeOf(4));
    await side.waitFor((m) => m.type === 'result' && m.id === 4);
    assert.equal(side.received.filter((m) => m.type === 'code_request').length, 1);
  } finally {
    await a.close();
    await core.close();
  }
});

test("a failed code fetch fails the invocation with the Core's error", async () => {
  const core = await fakeCore();
  const a = agent(new StubRuntime());
  try {
    a.addCore(core.url);
    const side = await core.joined();
    side.send(invokeOf(1));
    const request = (await side.waitFor((m) => m.type === 'code_request')) as { id: number };
    side.send({
      type: 'code_reply',
      id: request.id,
      ok: false,
      error: { code: 'not_found', message: 'gone' },
    });
    const failed = await side.waitFor((m) => m.type === 'invoke_error');
    assert.deepEqual(failed.type === 'invoke_error' && failed.error, { code: 'not_found', message: 'gone' });
  } finally {
    await a.close();
    await core.close();
  }
});

test('a push replaces the previous version, and a drop without a hash forgets every version', async () => {
  const core = await fakeCore();
  const runtime = new StubRuntime();
  const a = agent(runtime);
  try {
    a.addCore(core.url);
    const side = await core.joined();
    const old = 'a'.repeat(64);
    side.send({ type: 'store', id: 10, module: 'm', name: 'f', hash: old, code: new Uint8Array([1]) });
    await side.waitFor((m) => m.type === 'ack' && m.id === 10);
    side.send({ type: 'store', id: 11, module: 'm', name: 'f', hash: HASH, code: new Uint8Array([2]) });
    await side.waitFor((m) => m.type === 'ack' && m.id === 11);
    assert.deepEqual(runtime.list(), [{ module: 'm', name: 'f', hash: HASH }]);
    side.send({ type: 'drop', id: 12, module: 'm', name: 'f' });
    const ack = await side.waitFor((m) => m.type === 'ack' && m.id === 12);
    assert.equal(ack.type === 'ack' && ack.error, undefined);
    assert.deepEqual(runtime.list(), []);
  } finally {
    await a.close();
    await core.close();
  }
});

test('a Core that cannot prove the cluster secret is disconnected and logged', async () => {
  const core = await fakeCore({ secret: 'a-different-secret-for-the-core' });
  const log = recordingLogger();
  const a = agent(new StubRuntime(), { logger: log });
  try {
    a.addCore(core.url);
    await core.joined();
    await eventually(
      () => log.lines.some((l) => /did not prove it holds the cluster secret/.test(l)),
      () => `the refusal in the log:\n${log.lines.join('\n')}`,
    );
    assert.notEqual(a.cores()[0]!.state, 'joined');
  } finally {
    await a.close();
    await core.close();
  }
});

/**
 * Opens and drops a link of the test's own to the Core: once the Core has counted it, it has
 * counted every link dialled before it. With the agent's timers on a mock clock, "no reconnection"
 * is then a count, not a sleep: tick far past every backoff, then count.
 */
async function ownDial(url: string): Promise<void> {
  const ws = new WebSocket(url);
  await once(ws, 'open'); // the Core counts a link before it answers the upgrade
  ws.terminate();
}

test('after the Core drops the link the agent reconnects with backoff and joins again', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the backoff runs on a clock the test moves
  const core = await fakeCore();
  const a = agent(new StubRuntime());
  try {
    a.addCore(core.url);
    const first = await core.joined(1);
    first.socket.terminate();
    await eventually(() => {
      t.mock.timers.tick(100); // the longest backoff
      return core.joins.length >= 2;
    }, 'the agent joined again');
    await a.joined();
    assert.equal(a.cores()[0]!.state, 'joined');
    const second = core.joins[1]!;
    const closed = once(second.socket, 'close');
    a.removeCore(core.url);
    const connections = core.connections();
    await closed; // the Core saw the link end
    await ownDial(core.url); // by then the agent has seen it end too
    t.mock.timers.tick(10_000);
    await ownDial(core.url);
    assert.equal(core.connections(), connections + 2, 'a removed Core is not reconnected');
  } finally {
    await a.close();
    await core.close();
  }
});

test('a silent Core is left after the liveness limit and reconnected', async () => {
  const core = await fakeCore({ livenessTimeoutMs: 150 });
  const a = agent(new StubRuntime());
  try {
    a.addCore(core.url);
    await core.joined(1);
    // The fake Core never pings: the agent must notice and redial.
    await core.joined(2);
  } finally {
    await a.close();
    await core.close();
  }
});

test('a draining agent refuses new invocations and waits for the running one', async () => {
  const core = await fakeCore();
  const runtime = new StubRuntime();
  let release!: () => void;
  runtime.hold = new Promise((resolve) => (release = resolve));
  await runtime.store({ module: 'm', name: 'f', hash: HASH, code: new Uint8Array([1]) });
  const a = agent(runtime);
  try {
    a.addCore(core.url);
    const side = await core.joined();
    side.send(invokeOf(1));
    await eventually(() => a.running > 0, 'the invocation is running');
    const drained = a.drain(5_000);
    side.send(invokeOf(2));
    const refused = await side.waitFor((m) => m.type === 'invoke_error' && m.id === 2);
    assert.equal(refused.type === 'invoke_error' && refused.error.code, ErrorCode.WorkerLost);
    release();
    await drained;
    await side.waitFor((m) => m.type === 'result' && m.id === 1);
  } finally {
    await a.close();
    await core.close();
  }
});

test('bad agent options are refused with a message naming the option', () => {
  const runtime = new StubRuntime();
  assert.throws(() => agent(runtime, { name: 'has space' }), /Worker name must be 1-160/);
  assert.throws(() => agent(runtime, { secret: 'short' }), /at least 16 characters/);
  assert.throws(() => agent(runtime, { memoryMiB: 0 }), /memoryMiB must be a positive integer/);
  assert.throws(() => agent(runtime, { tag: '' }), /Worker tag must be 1-160/);
});

test("after a join, the Core's sync drops code the Worker held of functions it no longer has", async () => {
  const core = await fakeCore();
  const runtime = new StubRuntime();
  const code = Uint8Array.of(0, 97, 115, 109);
  const h = (c: string) => c.repeat(64);
  // Held before joining: kept (a@1), deleted while away (gone@2), updated while away (b@3, now b@4).
  for (const [name, hash] of [
    ['a', h('1')],
    ['gone', h('2')],
    ['b', h('3')],
  ] as const) {
    await runtime.store({ module: 'm', name, hash, code });
  }
  const a = agent(runtime);
  try {
    a.addCore(core.url);
    const side = await core.joined();
    // Pushed during this connection and missing from a list taken earlier: must be kept.
    side.send({ type: 'store', id: 1, module: 'm', name: 'fresh', hash: h('5'), code });
    await side.waitFor((m) => m.type === 'ack');
    side.send({ type: 'sync', functions: [{ module: 'm', name: 'a', hash: h('1') }], last: false });
    side.send({ type: 'sync', functions: [{ module: 'm', name: 'b', hash: h('4') }], last: true });
    await eventually(() => runtime.dropped.length >= 2, 'two functions dropped');
    assert.deepEqual(
      runtime
        .list()
        .map((r) => `${r.name}@${r.hash[0]}`)
        .sort(),
      ['a@1', 'fresh@5'],
    );
    assert.deepEqual(runtime.dropped.map((r) => `${r.name}@${r.hash[0]}`).sort(), ['b@3', 'gone@2']);
  } finally {
    await a.close();
    await core.close();
  }
});

test('an empty sync from a Core with no functions drops everything held before the join', async () => {
  const core = await fakeCore();
  const runtime = new StubRuntime();
  await runtime.store({ module: 'm', name: 'old', hash: HASH, code: Uint8Array.of(1) });
  const a = agent(runtime);
  try {
    a.addCore(core.url);
    const side = await core.joined();
    side.send({ type: 'sync', functions: [], last: true });
    await eventually(() => runtime.list().length === 0, 'everything dropped');
    assert.deepEqual(runtime.list(), []);
  } finally {
    await a.close();
    await core.close();
  }
});

test('a connection closed during its handshake stays closed when the Core accepts it late', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] }); // the backoff runs on a clock the test moves
  const a = agent(new StubRuntime());
  // The agent closes while the Core's join_accepted is already on its way to it.
  const core = await fakeCore({ beforeAccept: () => void a.close() });
  try {
    a.addCore(core.url);
    await core.joined();
    await ownDial(core.url); // by then the agent has read the late join_accepted
    t.mock.timers.tick(10_000);
    await ownDial(core.url);
    assert.equal(core.connections(), 3, 'the closed agent dialled the Core again');
  } finally {
    await a.close();
    await core.close();
  }
});

test('a cancel drops an invocation that has not started (cancel_reply started: false, nothing else) and leaves a started one running', async () => {
  const core = await fakeCore();
  const runtime = new StubRuntime();
  await runtime.store({ module: 'm', name: 'f', hash: HASH, code: new Uint8Array([0]) });
  const a = agent(runtime);
  try {
    a.addCore(core.url);
    const side = await core.joined();
    const invoke = (id: number) => side.send(invokeOf(id));
    // Invocation 1 waits (the stub's queue); the cancel drops it.
    let release!: () => void;
    runtime.hold = new Promise<void>((resolve) => (release = resolve));
    invoke(1);
    await eventually(() => runtime.invocations === 1, 'invocation 1 reached the runtime');
    side.send({ type: 'cancel', id: 1 });
    const dropped = await side.waitFor((m) => m.type === 'cancel_reply' && m.id === 1);
    assert.equal(dropped.type === 'cancel_reply' && dropped.started, false);
    release();
    runtime.hold = undefined;
    // Invocation 2 has run: a cancel now says so, and changes nothing.
    invoke(2);
    await side.waitFor((m) => m.type === 'result' && m.id === 2);
    side.send({ type: 'cancel', id: 2 });
    const late = await side.waitFor((m) => m.type === 'cancel_reply' && m.id === 2);
    assert.equal(late.type === 'cancel_reply' && late.started, true);
    // Invocation 3 comes after 1 on the link: once it is answered, nothing more came for 1.
    invoke(3);
    await side.waitFor((m) => m.type === 'result' && m.id === 3);
    assert.deepEqual(
      side.received.filter((m) => 'id' in m && m.id === 1).map((m) => m.type),
      ['cancel_reply'],
    );
    assert.equal(runtime.started, 2, 'invocations 2 and 3 started, 1 never did');
  } finally {
    await a.close();
    await core.close();
  }
});

test('before the Core proves the secret, a frame over the pre-join bound closes the link unread', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const closes: number[] = [];
  wss.on('connection', (socket) => {
    socket.on('close', (code) => closes.push(code));
    // A fake Core (a replayed announcement, a wrong URL) floods before any challenge.
    socket.send(Buffer.alloc(LINK_PREJOIN_MAX_FRAME_BYTES + 1));
  });
  const a = agent(new StubRuntime());
  try {
    a.addCore(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    await eventually(() => closes.length > 0, 'the Worker closed the link');
    assert.equal(closes[0], 1009, 'closed as "message too big"');
    assert.notEqual(a.cores()[0]!.state, 'joined');
  } finally {
    await a.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});
