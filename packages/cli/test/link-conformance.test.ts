// The link's behaviour, run against every transport that carries it (as one suite runs against
// every database): a real CoreCluster and a real WorkerAgent on a real Runtime, joined over
// WebSocket (separate processes) or in process (`fl up`). Push, sync, invoke, protocol errors,
// liveness, drain and close, code on demand: docs/architecture.md, "The link".
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';

import { CoreCluster } from '@funless/core';
import type { ClusterFunction, CoreClusterOptions, InvokeOptions, PushReport } from '@funless/core';
import { ErrorCode, LINK_PROTOCOL_VERSION, LinkCloseCode } from '@funless/protocol';
import type {
  CoreMessage,
  LinkChannelEvents,
  LinkKeys,
  LinkDialer,
  WorkerChannel,
  WorkerMessage,
  WebSocketChannel,
} from '@funless/protocol';
import { rejectsWith, watFixture } from '@funless/testing';
import { codeHash, Runtime, webSocketDialer, WorkerAgent } from '@funless/worker';

import { tempDir } from './support/temp-dir.js';

/** Invokes through the cluster's byte interface with `args` as JSON; the result parsed. */
async function invokeJson(
  cluster: CoreCluster,
  fn: ClusterFunction,
  args: unknown,
  options?: InvokeOptions,
): Promise<unknown> {
  const result = await cluster.invoke(fn, Buffer.from(JSON.stringify(args)), options);
  return JSON.parse(Buffer.from(result).toString()) as unknown;
}

const SECRET = 'link-conformance-secret-0123';
const WORKER = 'w1';

/** Each transport, and how a Worker in the test reaches the Core over it. */
const TRANSPORTS = [
  {
    name: 'websocket',
    /** Messages travel as frames, which a peer can corrupt. */
    frames: true,
    dialer: (core: TestCore): LinkDialer => webSocketDialer(core.url),
  },
  {
    name: 'in-process',
    frames: false,
    dialer: (core: TestCore): LinkDialer => ({
      url: 'in-process',
      dial: () => core.cluster.connectInProcess(),
    }),
  },
] as const;

/** A Worker's channel the test can look into: it records the close code and can go mute. */
class TappedChannel implements WorkerChannel {
  /** While true, nothing the Worker sends reaches the Core (a hung peer). */
  muted = false;
  readonly closed: Promise<number>;
  #resolveClosed!: (code: number) => void;

  constructor(readonly inner: WorkerChannel) {
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  get remote(): string {
    return this.inner.remote;
  }

  get open(): boolean {
    return this.inner.open;
  }

  listen(events: LinkChannelEvents<CoreMessage>): void {
    this.inner.listen({
      ...events,
      close: (code, reason) => {
        this.#resolveClosed(code);
        events.close(code, reason);
      },
    });
  }

  send(message: WorkerMessage): void {
    if (!this.muted) this.inner.send(message);
  }

  close(code: number, reason: string): void {
    this.inner.close(code, reason);
  }

  seal(keys: LinkKeys): void {
    this.inner.seal(keys);
  }

  terminate(): void {
    this.inner.terminate();
  }
}

/** A logger whose lines are events a test can wait for (no polling). */
class LogEvents {
  readonly lines: { message: string; fields: object }[] = [];
  readonly #waiters: { message: string; count: number; resolve: () => void }[] = [];

  #log = (fields: object, message: string): void => {
    this.lines.push({ message, fields });
    for (const w of [...this.#waiters]) {
      if (this.count(w.message) >= w.count) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  readonly debug = this.#log;
  readonly info = this.#log;
  readonly warn = this.#log;
  readonly error = this.#log;

  count(message: string): number {
    return this.lines.filter((l) => l.message === message).length;
  }

  /** Resolves once `message` was logged `count` times in all; fails after 10 s. */
  async seen(message: string, count = 1): Promise<void> {
    if (this.count(message) >= count) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => this.#waiters.push({ message, count, resolve })),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(
                  `"${message}" was not logged ${count} times:\n${this.lines.map((l) => l.message).join('\n')}`,
                ),
              ),
            10_000,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

interface TestCore {
  cluster: CoreCluster;
  url: string;
  log: LogEvents;
  /** What the Core's store holds, by `module/name`. */
  code: Map<string, { hash: string; code: Uint8Array }>;
}

interface Platform {
  core: TestCore;
  agent: WorkerAgent;
  runtime: Runtime;
  workerLog: LogEvents;
  /** Every channel the Worker dialled, in order. */
  channels: TappedChannel[];
  /** Resolves at the next invocation the Worker's runtime starts. */
  invocationStarted(): Promise<void>;
  /** Creates a function as the HTTP API does: into the Core's store, then a push with wait. */
  deploy(f: { fn: ClusterFunction; code: Uint8Array }): Promise<PushReport>;
  close(): Promise<void>;
}

async function platform(
  transport: (typeof TRANSPORTS)[number],
  options: { cluster?: Partial<CoreClusterOptions>; held?: (runtime: Runtime) => Promise<void> } = {},
): Promise<Platform> {
  const work = await tempDir('fl-link-');
  const server: Server = createServer((_req, res) => res.end());
  const log = new LogEvents();
  const code = new Map<string, { hash: string; code: Uint8Array }>();
  const cluster = new CoreCluster({
    secret: SECRET,
    server,
    logger: log,
    store: {
      getFunctionWithCode: (module, name) => Promise.resolve(code.get(`${module}/${name}`)),
      listFunctionRefs: () =>
        Promise.resolve([...code].map(([key, fn]) => ({ ...splitKey(key), hash: fn.hash }))),
    },
    ...options.cluster,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const core: TestCore = {
    cluster,
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    code,
  };
  const runtime = await Runtime.create({ dataDir: join(work.dir, 'worker'), threads: 1 });
  await options.held?.(runtime);
  const started: (() => void)[] = [];
  // Stores still writing to the data directory: waited for before it is removed.
  const storing = new Set<Promise<unknown>>();
  // The real runtime, with a hook to know when an invocation reached it.
  const observed = new Proxy(runtime, {
    get(target, property) {
      if (property === 'store') {
        return (...args: Parameters<Runtime['store']>) => {
          const store = target.store(...args);
          storing.add(store);
          const forget = () => storing.delete(store);
          store.then(forget, forget);
          return store;
        };
      }
      if (property === 'invoke') {
        return (...args: Parameters<Runtime['invoke']>) => {
          for (const resolve of started.splice(0)) resolve();
          return target.invoke(...args);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const workerLog = new LogEvents();
  const agent = new WorkerAgent({
    name: WORKER,
    secret: SECRET,
    runtime: observed,
    threads: 1,
    memoryMiB: 512,
    logger: workerLog,
    reconnectInitialDelayMs: 20,
    reconnectMaxDelayMs: 100,
  });
  const channels: TappedChannel[] = [];
  const dialer = transport.dialer(core);
  agent.addCore({
    url: dialer.url,
    dial: () => {
      const channel = new TappedChannel(dialer.dial());
      channels.push(channel);
      return channel;
    },
  });
  await agent.joined();
  return {
    core,
    agent,
    runtime,
    workerLog,
    channels,
    invocationStarted: () => new Promise((resolve) => started.push(resolve)),
    deploy: ({ fn, code: bytes }) => {
      code.set(`${fn.module}/${fn.name}`, { hash: fn.hash, code: bytes });
      return cluster.functionStored({ ...fn, code: bytes }, { wait: true });
    },
    async close() {
      await agent.close();
      await cluster.close();
      await new Promise((resolve) => server.close(resolve));
      await Promise.allSettled(storing);
      await runtime.close();
      await work.cleanup();
    },
  };
}

function splitKey(key: string): { module: string; name: string } {
  const [module, name] = key.split('/') as [string, string];
  return { module, name };
}

async function fixture(file: string, name = file): Promise<{ fn: ClusterFunction; code: Uint8Array }> {
  const code = await watFixture(file);
  return {
    code,
    fn: { module: '_', name, hash: codeHash(code), tag: 'default', capacityMiB: 64 },
  };
}

for (const transport of TRANSPORTS) {
  const named = (behaviour: string) => `${transport.name}: ${behaviour}`;

  test(
    named('a Worker joins through the challenge, and the sync drops code the Core no longer has'),
    async () => {
      const hello = await fixture('hello');
      const p = await platform(transport, {
        // Held from before this join: `gone` was deleted while the Worker was away.
        held: (runtime) =>
          runtime.store({ module: '_', name: 'gone', hash: hello.fn.hash, code: hello.code }),
      });
      try {
        assert.deepEqual(p.core.cluster.workerNames(), [WORKER]);
        assert.equal(p.core.cluster.counters.joins, 1);
        assert.equal(p.agent.cores()[0]!.state, 'joined');
        // The Core's store is empty: its sync names nothing, so `gone` goes.
        await p.workerLog.seen('link: dropped the code of functions the Core no longer has');
        assert.deepEqual(p.runtime.list(), []);
      } finally {
        await p.close();
      }
    },
  );

  test(
    named('a push with wait is acknowledged, and the invocation then runs without fetching code'),
    async () => {
      const p = await platform(transport);
      try {
        const hello = await fixture('hello');
        const report = await p.deploy(hello);
        assert.deepEqual(report, { acknowledged: [WORKER], missing: [] });
        assert.ok(p.runtime.has({ module: '_', name: 'hello', hash: hello.fn.hash }));
        assert.deepEqual(await invokeJson(p.core.cluster, hello.fn, { name: 'Bob' }), {
          payload: 'Hello Bob!',
        });
        assert.equal(p.core.cluster.counters.codeServed, 0);
        const [info] = p.core.cluster.workers();
        assert.equal(info!.inFlight, 0);
      } finally {
        await p.close();
      }
    },
  );

  test(named('code the Worker lacks is fetched from the Core once, then kept'), async () => {
    const p = await platform(transport);
    try {
      const hello = await fixture('hello');
      p.core.code.set('_/hello', { hash: hello.fn.hash, code: hello.code });
      const results = await Promise.all(
        ['A', 'B', 'C'].map((name) => invokeJson(p.core.cluster, hello.fn, { name })),
      );
      assert.deepEqual(results, [{ payload: 'Hello A!' }, { payload: 'Hello B!' }, { payload: 'Hello C!' }]);
      assert.deepEqual(await invokeJson(p.core.cluster, hello.fn, { name: 'D' }), { payload: 'Hello D!' });
      assert.equal(p.core.cluster.counters.codeServed, 1);
    } finally {
      await p.close();
    }
  });

  test(
    named(
      "an invocation that fails comes back as the Worker's error, and one the Core cannot serve says why",
    ),
    async () => {
      const p = await platform(transport);
      try {
        const trap = await fixture('trap');
        await p.deploy(trap);
        await rejectsWith(invokeJson(p.core.cluster, trap.fn, {}), ErrorCode.Trap);
        const hello = await fixture('hello');
        await rejectsWith(
          invokeJson(p.core.cluster, hello.fn, {}),
          ErrorCode.NotFound,
          /_\/hello no longer exists/,
        );
        assert.equal(p.core.cluster.counters.invocations, 2);
      } finally {
        await p.close();
      }
    },
  );

  test(named('a message out of the protocol closes the link with 4000; the Worker joins again'), async () => {
    const p = await platform(transport);
    try {
      const [first] = p.channels;
      first!.inner.send({
        type: 'join',
        protocol: LINK_PROTOCOL_VERSION,
        name: WORKER,
        tag: 'default',
        memoryTotalMiB: 1,
        memoryFreeMiB: 1,
        threads: 1,
        version: 'x',
        nonce: 'n',
        proof: 'p',
      });
      assert.equal(await first!.closed, LinkCloseCode.ProtocolError);
      await p.core.log.seen('cluster: a Worker joined twice; link closed');
      await p.core.log.seen('cluster: Worker joined', 2);
      await p.agent.joined();
      assert.deepEqual(p.core.cluster.workerNames(), [WORKER]);
    } finally {
      await p.close();
    }
  });

  if (transport.frames) {
    test(
      named('a frame that is not a message closes the link with 4000; the Worker joins again'),
      async () => {
        const p = await platform(transport);
        try {
          const [first] = p.channels;
          const socket = (first!.inner as WebSocketChannel<WorkerMessage, CoreMessage>).socket;
          socket.send(Buffer.from([1, 0, 0, 0, 2, 123, 125]), { binary: true }); // header "{}": no type
          assert.equal(await first!.closed, LinkCloseCode.ProtocolError);
          await p.core.log.seen('cluster: bad frame from a Worker; link closed');
          await p.core.log.seen('cluster: Worker joined', 2);
        } finally {
          await p.close();
        }
      },
    );
  }

  test(
    named('a Worker gone silent leaves after the liveness limit: its invocation fails, it joins again'),
    async () => {
      const p = await platform(transport, { cluster: { livenessTimeoutMs: 300, reportIntervalMs: 5_000 } });
      try {
        const hello = await fixture('hello');
        await p.deploy(hello);
        const [first] = p.channels;
        first!.muted = true;
        // The Worker runs it, but neither its result nor its pongs reach the Core.
        await rejectsWith(
          invokeJson(p.core.cluster, hello.fn, { name: 'Bob' }),
          ErrorCode.WorkerLost,
          /"w1" disconnected/,
        );
        assert.equal(await first!.closed, LinkCloseCode.LivenessTimeout);
        await p.core.log.seen('cluster: Worker joined', 2);
        assert.deepEqual(await invokeJson(p.core.cluster, hello.fn, { name: 'Ann' }), {
          payload: 'Hello Ann!',
        });
      } finally {
        await p.close();
      }
    },
  );

  test(named('a draining Worker refuses new invocations and finishes the running one'), async () => {
    const p = await platform(transport);
    try {
      const loop = await fixture('infinite-loop', 'loop');
      const hello = await fixture('hello');
      for (const f of [loop, hello]) await p.deploy(f);
      const started = p.invocationStarted();
      const running = invokeJson(p.core.cluster, loop.fn, {}, { timeoutMs: 300 });
      await started;
      const drained = p.agent.drain(10_000);
      await rejectsWith(invokeJson(p.core.cluster, hello.fn, {}), ErrorCode.WorkerLost, /shutting down/);
      await rejectsWith(running, ErrorCode.Timeout);
      await drained;
    } finally {
      await p.close();
    }
  });

  test(
    named('a Worker that closes leaves the Core at once; a Core that closes tells its Workers it stops'),
    async () => {
      const p = await platform(transport);
      try {
        // A message sent in the same turn as the close does not cost the Worker the close code.
        const hello = await fixture('hello');
        void p.core.cluster.functionStored({ ...hello.fn, code: hello.code }, { wait: false });
        await p.core.cluster.close();
        assert.equal(await p.channels[0]!.closed, LinkCloseCode.Shutdown);
        await p.workerLog.seen('link: lost the Core; reconnecting');
        assert.deepEqual(p.core.cluster.workerNames(), []);
      } finally {
        await p.close();
      }
      const q = await platform(transport);
      try {
        await q.agent.close();
        await q.core.log.seen('cluster: Worker left');
        assert.deepEqual(q.core.cluster.workerNames(), []);
        assert.equal(q.core.cluster.counters.workersLost, 1);
      } finally {
        await q.close();
      }
    },
  );
}
