import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
  CLUSTER_SECRET_MIN_LENGTH,
  ErrorCode,
  FlError,
  LINK_MAX_FRAME_BYTES,
  LINK_PATH,
  LinkCloseCode,
  SYNC_BATCH,
} from '@funless/protocol';
import type {
  CodeRequestMessage,
  CoreMessage,
  InvokeErrorMessage,
  InvokeMessage,
  JoinMessage,
  ResultMessage,
  LinkFunctionRef,
  WorkerChannel,
} from '@funless/protocol';

import { INVOCATION_SUCCESS, invocationStatus, NO_CLUSTER_METRICS } from '../metrics/index.js';
import type { ClusterMetrics } from '../metrics/index.js';
import { defaultPolicy } from '../scheduling/default-policy.js';
import type {
  Cluster,
  ClusterFunction,
  ClusterFunctionCode,
  InvocationDetails,
  InvokeOptions,
  PushReport,
  WorkerInfo,
} from './cluster.js';
import { NOOP_LOGGER } from './cluster-logger.js';
import type { ClusterLogger } from './cluster-logger.js';
import { LinkAcceptor } from './link-acceptor.js';
import type { WorkerOperationMessage } from './link-acceptor.js';
import { resourceProblem } from './resource-claims.js';
import type { WorkerLink, WorkerAnswer } from './worker-link.js';
import { WorkerRegistry } from './worker-registry.js';

/** Where the code of a function comes from when a Worker asks for it (the Core's store). */
export interface CodeSource {
  getFunctionWithCode(module: string, name: string): Promise<{ hash: string; code: Uint8Array } | undefined>;
  /** Every function at its current hash, sent to each Worker that joins (`sync`). Without it, no sync. */
  listFunctionRefs?(): Promise<LinkFunctionRef[]>;
}

/** Where the link listens, for announcers (LAN discovery) to advertise. */
export interface LinkEndpoint {
  /** Port of the Core's HTTP server. */
  port: number;
  /** Address the server is bound to. */
  address: string;
  /** Path of the link on that server. */
  path: string;
  coreId: string;
  secret: string;
}

/** Something started for the link's lifetime (an announcer); closed with the cluster. */
export interface Closable {
  close(): void | Promise<void>;
}

export interface CoreClusterOptions {
  /** The cluster secret Workers must prove they hold (at least `CLUSTER_SECRET_MIN_LENGTH` characters). */
  secret: string;
  /** Where Workers' code requests are served from. */
  store: CodeSource;
  /** The HTTP server whose upgrade requests on `path` become Worker links. */
  server?: Server;
  logger?: ClusterLogger;
  /** @default '/v1/link' */
  path?: string;
  /** Id of this Core in logs and handshakes. @default a random UUID */
  coreId?: string;
  /** How long a push waits for each Worker's acknowledgement, in ms. @default 10_000 */
  pushTimeoutMs?: number;
  /** A Worker silent for this long leaves scheduling and is disconnected, in ms. @default 15_000 */
  livenessTimeoutMs?: number;
  /** How often Workers send resource reports, in ms. @default 5_000 */
  reportIntervalMs?: number;
  /** Time limit of an invocation when the caller gives none, in ms. @default 60_000 */
  invokeTimeoutMs?: number;
  /**
   * Extra time the Core waits beyond an invocation's limit for the Worker's answer (transfer, a
   * code fetch, compilation) before failing it with `timeout`, in ms. @default 5_000
   */
  invokeGraceMs?: number;
  /**
   * When the Core gives up on an invocation (its limit and the grace passed), it asks the Worker to
   * drop it if it has not started, and waits this long for the Worker to say whether it had, in ms.
   * @default 2_000
   */
  cancelTimeoutMs?: number;
  /** A connection must complete its join within this, in ms. @default 5_000 */
  handshakeTimeoutMs?: number;
  /**
   * Connections waiting to join at once; the link endpoint answers more with HTTP 503 until some
   * join, are refused or time out. @default 64
   */
  maxPendingJoins?: number;
  /**
   * A code request is answered `overloaded` while the Worker's connection already holds more than
   * this unsent (a Worker that asks for code without reading the replies), in bytes.
   * @default LINK_MAX_FRAME_BYTES
   */
  maxUnsentCodeBytes?: number;
  /** Started once the server listens (e.g. the multicast announcer); closed with the cluster. */
  announce?: (endpoint: LinkEndpoint) => Closable | undefined | Promise<Closable | undefined>;
  /** Told of every invocation, scheduling decision and push (`GET /metrics`). @default none */
  metrics?: ClusterMetrics;
}

/** The defaults of `CoreClusterOptions`. */
export const DEFAULT_CORE_CLUSTER_OPTIONS = {
  path: LINK_PATH,
  pushTimeoutMs: 10_000,
  livenessTimeoutMs: 15_000,
  reportIntervalMs: 5_000,
  invokeTimeoutMs: 60_000,
  invokeGraceMs: 5_000,
  cancelTimeoutMs: 2_000,
  handshakeTimeoutMs: 5_000,
  maxPendingJoins: 64,
  maxUnsentCodeBytes: LINK_MAX_FRAME_BYTES,
} as const;

function positive(name: string, value: number | undefined, fallback: number, unit = 'ms'): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new FlError(
      ErrorCode.BadRequest,
      `cluster option ${name} must be a positive integer (${unit}), got ${v}`,
    );
  }
  return v;
}

/**
 * The cluster of real Workers: pushes code, places and relays invocations, serves code requests
 * and drops Workers that go away, over the links its `LinkAcceptor` accepts — over WebSocket on the
 * Core's HTTP server, or in process (`connectInProcess`) — and keeps alive. See
 * docs/architecture.md, "The link".
 */
/**
 * What a Worker said of the guest's run, for the invocation's record: its time and the lines it
 * printed, as they came (the recorder bounds them again). They change nothing of the answer.
 */
function noteGuestRun(details: InvocationDetails, answer: ResultMessage | InvokeErrorMessage): void {
  if (answer.durationMs !== undefined) details.durationMs = answer.durationMs;
  if (answer.logs !== undefined) details.logs = answer.logs;
  if (answer.logsTruncated === true) details.logsTruncated = true;
}

export class CoreCluster implements Cluster {
  readonly coreId: string;
  readonly registry = new WorkerRegistry();
  /** Running totals, for tests, benchmarks and metrics. */
  readonly counters = {
    joins: 0,
    refused: 0,
    /** Connections answered 503 because `maxPendingJoins` were already waiting to join. */
    pendingRefused: 0,
    codeServed: 0,
    /** Reads of code from the store for Workers' code requests (concurrent requests share one). */
    codeReads: 0,
    /** Code requests answered `overloaded` because the Worker's connection held too much unsent. */
    codeOverloaded: 0,
    invocations: 0,
    /** Invocations the Core gave up on that the Worker dropped before they started. */
    dropped: 0,
    workersLost: 0,
  };
  readonly #options: Required<
    Omit<CoreClusterOptions, 'server' | 'logger' | 'announce' | 'coreId' | 'store' | 'secret' | 'metrics'>
  >;
  readonly #secret: string;
  readonly #store: CodeSource;
  readonly #log: ClusterLogger;
  readonly #metrics: ClusterMetrics;
  readonly #acceptor: LinkAcceptor;
  /** Joined Workers' links by name. */
  readonly #links = new Map<string, WorkerLink>();
  /** The store read in flight for each function's code, shared by concurrent code requests. */
  readonly #codeReads = new Map<string, ReturnType<CodeSource['getFunctionWithCode']>>();
  readonly #closables: Closable[] = [];
  #server: Server | undefined;
  #nextId = 1;
  #closed = false;
  /** Set once the links are being closed because this Core stops (the server or the cluster closes). */
  #stopping = false;

  constructor(options: CoreClusterOptions) {
    if (typeof options.secret !== 'string' || options.secret.length < CLUSTER_SECRET_MIN_LENGTH) {
      throw new FlError(
        ErrorCode.BadRequest,
        `cluster option secret must be a string of at least ${CLUSTER_SECRET_MIN_LENGTH} characters`,
      );
    }
    const d = DEFAULT_CORE_CLUSTER_OPTIONS;
    this.#options = {
      path: options.path ?? d.path,
      pushTimeoutMs: positive('pushTimeoutMs', options.pushTimeoutMs, d.pushTimeoutMs),
      livenessTimeoutMs: positive('livenessTimeoutMs', options.livenessTimeoutMs, d.livenessTimeoutMs),
      reportIntervalMs: positive('reportIntervalMs', options.reportIntervalMs, d.reportIntervalMs),
      invokeTimeoutMs: positive('invokeTimeoutMs', options.invokeTimeoutMs, d.invokeTimeoutMs),
      invokeGraceMs: positive('invokeGraceMs', options.invokeGraceMs, d.invokeGraceMs),
      cancelTimeoutMs: positive('cancelTimeoutMs', options.cancelTimeoutMs, d.cancelTimeoutMs),
      handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, d.handshakeTimeoutMs),
      maxPendingJoins: positive('maxPendingJoins', options.maxPendingJoins, d.maxPendingJoins, 'connections'),
      maxUnsentCodeBytes: positive(
        'maxUnsentCodeBytes',
        options.maxUnsentCodeBytes,
        d.maxUnsentCodeBytes,
        'bytes',
      ),
    };
    this.#secret = options.secret;
    this.#store = options.store;
    this.#log = options.logger ?? NOOP_LOGGER;
    this.#metrics = options.metrics ?? NO_CLUSTER_METRICS;
    this.coreId = options.coreId ?? randomUUID();
    this.#acceptor = new LinkAcceptor({
      secret: this.#secret,
      coreId: this.coreId,
      path: this.#options.path,
      handshakeTimeoutMs: this.#options.handshakeTimeoutMs,
      maxPendingJoins: this.#options.maxPendingJoins,
      reportIntervalMs: this.#options.reportIntervalMs,
      livenessTimeoutMs: this.#options.livenessTimeoutMs,
      log: this.#log,
      counters: this.counters,
      events: {
        joined: (link, join) => this.#onJoined(link, join),
        message: (link, message) => this.#onMessage(link, message),
        lost: (link, why) => this.#drop(link, why),
      },
    });

    if (options.server) this.attach(options.server, options.announce);
  }

  /**
   * Serves the link on `server` (upgrade requests on the link path) and starts `announce` once it
   * listens. An upgraded link socket keeps `server.close()` waiting for ever: close the links
   * first (`closeLinks()`, which the Core's HTTP app calls from its `preClose` hook, or `close()`).
   */
  attach(server: Server, announce?: CoreClusterOptions['announce']): void {
    if (this.#server) throw new Error('CoreCluster is already attached to a server');
    this.#server = server;
    this.#acceptor.attach(server);
    if (announce) {
      const start = () => {
        void this.#startAnnouncer(server, announce);
      };
      if (server.listening) start();
      else server.once('listening', start);
    }
  }

  async #startAnnouncer(
    server: Server,
    announce: NonNullable<CoreClusterOptions['announce']>,
  ): Promise<void> {
    const address = server.address() as AddressInfo | null;
    if (!address || this.#closed) return;
    try {
      const closable = await announce({
        port: address.port,
        address: address.address,
        path: this.#options.path,
        coreId: this.coreId,
        secret: this.#secret,
      });
      if (closable) {
        if (this.#closed) await closable.close();
        else this.#closables.push(closable);
      }
    } catch (error) {
      this.#log.error({ err: error }, 'cluster: the announcer failed to start');
    }
  }

  /**
   * Connects a Worker of this process (the one-process platform, `fl up`): the Worker's end of a
   * new in-process connection, to return from its `LinkDialer`. The link above is the same as over
   * WebSocket, handshake included. Once the cluster is closed, the connection closes at once.
   */
  connectInProcess(): WorkerChannel {
    return this.#acceptor.acceptInProcess();
  }

  /** A Worker joined: it enters scheduling (replacing an older link under its name) and gets the sync. */
  #onJoined(link: WorkerLink, join: JoinMessage): void {
    const previous = this.#links.get(join.name);
    if (previous) {
      // The same Worker reconnecting before its old link timed out (a restart): the new one wins.
      this.#log.warn(
        { worker: join.name, remote: link.remote },
        'cluster: a Worker rejoined; its older link is closed',
      );
      this.#drop(previous, 'replaced by a newer connection');
      previous.close(LinkCloseCode.Replaced, 'replaced by a newer connection');
    }
    this.#links.set(join.name, link);
    this.registry.add(join);
    this.#log.info(
      {
        worker: join.name,
        tag: join.tag,
        remote: link.remote,
        memoryTotalMiB: join.memoryTotalMiB,
        threads: join.threads,
        version: join.version,
      },
      'cluster: Worker joined',
    );
    void this.#sync(link);
  }

  /** Tells a Worker that just joined which functions exist, so that it drops the code of the others. */
  async #sync(link: WorkerLink): Promise<void> {
    if (!this.#store.listFunctionRefs) return;
    try {
      const refs = await this.#store.listFunctionRefs();
      for (let i = 0; i === 0 || i < refs.length; i += SYNC_BATCH) {
        const functions = refs.slice(i, i + SYNC_BATCH);
        link.send({ type: 'sync', functions, last: i + SYNC_BATCH >= refs.length });
      }
    } catch (error) {
      // Without the list the Worker keeps what it has: an extra file on its disk, nothing worse.
      this.#log.warn({ worker: link.name, err: error }, 'cluster: could not send the function list');
    }
  }

  #onMessage(link: WorkerLink, message: WorkerOperationMessage): void {
    switch (message.type) {
      case 'report': {
        const problem = resourceProblem(message);
        if (problem !== undefined) {
          this.#log.warn(
            { worker: link.name, problem },
            'cluster: a Worker reported impossible resources; link closed',
          );
          this.#drop(link, `reported impossible resources: ${problem}`);
          link.close(LinkCloseCode.ProtocolError, `impossible report: ${problem}`);
          return;
        }
        this.registry.report(link.name!, message);
        return;
      }
      case 'ack':
      case 'result':
      case 'invoke_error':
      case 'cancel_reply':
        if (!link.answer(message)) {
          this.#log.debug(
            { worker: link.name, id: message.id },
            'cluster: an answer came after its request ended',
          );
        }
        return;
      case 'code_request':
        void this.#serveCode(link, message);
        return;
    }
  }

  async #serveCode(link: WorkerLink, request: CodeRequestMessage): Promise<void> {
    const { id, module, name, hash } = request;
    try {
      const fn = await this.#readCode(module, name);
      if (!fn || fn.hash !== hash) {
        const why = fn ? 'changed since this invocation started' : 'no longer exists';
        link.send({
          type: 'code_reply',
          id,
          ok: false,
          error: { code: ErrorCode.NotFound, message: `function ${module}/${name} ${why}` },
        });
        return;
      }
      const unsent = link.unsentBytes();
      if (unsent > this.#options.maxUnsentCodeBytes) {
        this.counters.codeOverloaded++;
        this.#log.warn(
          { worker: link.name, module, name, unsent },
          'cluster: a Worker asked for code while its link held too much unsent; answered overloaded',
        );
        link.send({
          type: 'code_reply',
          id,
          ok: false,
          error: {
            code: ErrorCode.Overloaded,
            message: `the link to this Worker already holds ${unsent} bytes unsent (over ${this.#options.maxUnsentCodeBytes}): code for ${module}/${name} not sent, ask again later`,
          },
        });
        return;
      }
      link.send({ type: 'code_reply', id, ok: true, code: fn.code });
      this.counters.codeServed++;
      this.#log.debug({ worker: link.name, module, name, hash }, 'cluster: sent code a Worker was missing');
    } catch (error) {
      this.#log.error(
        { worker: link.name, module, name, err: error },
        'cluster: could not load code for a Worker',
      );
      link.send({
        type: 'code_reply',
        id,
        ok: false,
        error: { code: ErrorCode.Internal, message: `the Core could not load ${module}/${name}` },
      });
    }
  }

  /**
   * The function's code from the store, read once for all the code requests that arrive while the
   * read is in flight (a burst of invocations on Workers that miss a large function would otherwise
   * read, and hold, the same blob once per request).
   */
  #readCode(module: string, name: string): ReturnType<CodeSource['getFunctionWithCode']> {
    const key = `${module}\u0000${name}`;
    let read = this.#codeReads.get(key);
    if (!read) {
      this.counters.codeReads++;
      read = this.#store.getFunctionWithCode(module, name).finally(() => this.#codeReads.delete(key));
      this.#codeReads.set(key, read);
    }
    return read;
  }

  /** Removes a Worker from scheduling; its in-flight requests fail with `worker_lost`. */
  #drop(link: WorkerLink, why: string): void {
    link.failPending();
    const name = link.name;
    if (name === undefined || this.#links.get(name) !== link) return;
    this.#links.delete(name);
    this.registry.remove(name);
    this.counters.workersLost++;
    // Leaving because this Core stops is expected; anything else deserves attention.
    const fields = { worker: name, remote: link.remote, reason: why };
    if (this.#stopping) this.#log.info(fields, 'cluster: Worker left');
    else this.#log.warn(fields, 'cluster: Worker left');
  }

  #id(): number {
    const id = this.#nextId++;
    if (this.#nextId > Number.MAX_SAFE_INTEGER) this.#nextId = 1;
    return id;
  }

  /**
   * Sends `message` (request `id`) to each link and sorts the Workers into those that acknowledged
   * and those that failed or did not answer within the push limit. The one message object goes
   * to every link: a WebSocket encodes its frame once for all of them.
   */
  async #broadcast(id: number, message: CoreMessage, what: string): Promise<PushReport> {
    const links = [...this.#links.values()];
    const results = await Promise.allSettled(
      links.map((link) => link.request(id, message, this.#options.pushTimeoutMs, what)),
    );
    const report: PushReport = { acknowledged: [], missing: [] };
    results.forEach((r, i) => {
      const worker = links[i]!.name!;
      if (r.status === 'rejected') {
        report.missing.push({ worker, reason: (r.reason as Error).message });
      } else if ((r.value as WorkerAnswer & { type: 'ack' }).error) {
        report.missing.push({ worker, reason: (r.value as { error: { message: string } }).error.message });
      } else {
        report.acknowledged.push(worker);
      }
    });
    return report;
  }

  async functionStored(fn: ClusterFunctionCode, options: { wait: boolean }): Promise<PushReport> {
    const id = this.#id();
    const message: CoreMessage = {
      type: 'store',
      id,
      module: fn.module,
      name: fn.name,
      hash: fn.hash,
      code: fn.code,
    };
    const pushedAt = performance.now();
    const push = this.#broadcast(id, message, `the push of ${fn.module}/${fn.name}`).then((report) => {
      this.#metrics.pushed({
        seconds: (performance.now() - pushedAt) / 1000,
        missing: report.missing.length,
      });
      if (report.missing.length > 0) {
        this.#log.warn(
          { module: fn.module, name: fn.name, hash: fn.hash, missing: report.missing },
          'cluster: some Workers did not take the code; they will fetch it on their first invocation',
        );
      }
      return report;
    });
    if (options.wait) return push;
    void push;
    return { acknowledged: [], missing: [] };
  }

  async functionDeleted(fn: ClusterFunction): Promise<void> {
    const id = this.#id();
    const message: CoreMessage = { type: 'drop', id, module: fn.module, name: fn.name };
    const report = await this.#broadcast(id, message, `the drop of ${fn.module}/${fn.name}`);
    if (report.missing.length > 0) {
      this.#log.warn(
        { module: fn.module, name: fn.name, missing: report.missing },
        'cluster: some Workers did not drop',
      );
    }
  }

  async invoke(fn: ClusterFunction, input: Uint8Array, options: InvokeOptions = {}): Promise<Uint8Array> {
    const started = performance.now();
    try {
      const answer = await this.#invoke(fn, input, options);
      if (options.details) noteGuestRun(options.details, answer);
      this.#metrics.invocationEnded({
        module: fn.module,
        function: fn.name,
        status: INVOCATION_SUCCESS,
        totalMs: performance.now() - started,
        durationMs: answer.durationMs,
      });
      return answer.result;
    } catch (error) {
      this.#metrics.invocationEnded({
        module: fn.module,
        function: fn.name,
        status: invocationStatus(error),
        totalMs: performance.now() - started,
      });
      throw error;
    }
  }

  /** Places one invocation and relays it: the Worker's result, or its error thrown. */
  async #invoke(fn: ClusterFunction, input: Uint8Array, options: InvokeOptions): Promise<ResultMessage> {
    const timeoutMs = options.timeoutMs ?? this.#options.invokeTimeoutMs;
    const policy = options.policy ?? defaultPolicy;
    const decidedAt = performance.now();
    const placement = policy(this.registry.views(), fn);
    this.#metrics.scheduled({
      policy: policy === defaultPolicy ? 'default' : 'app',
      placed: placement.ok,
      seconds: (performance.now() - decidedAt) / 1000,
    });
    if (!placement.ok)
      throw new FlError(ErrorCode.NoWorker, `no Worker can run ${fn.module}/${fn.name}: ${placement.reason}`);
    const worker = placement.worker;
    if (options.details) options.details.worker = worker;
    const link = this.#links.get(worker);
    if (!link)
      throw new FlError(ErrorCode.NoWorker, `Worker "${worker}" chosen for ${fn.module}/${fn.name} is gone`);
    const id = this.#id();
    const message: InvokeMessage = {
      type: 'invoke',
      id,
      module: fn.module,
      name: fn.name,
      hash: fn.hash,
      capacityMiB: fn.capacityMiB,
      input,
      timeoutMs,
      chainDepth: options.chainDepth ?? 0,
    };
    const reservation = this.registry.reserve(worker, fn);
    this.counters.invocations++;
    const waitedMs = timeoutMs + this.#options.invokeGraceMs;
    let answer: WorkerAnswer;
    try {
      answer = await link.request(id, message, waitedMs, `invocation ${id}`).catch((error: unknown) => {
        if (!(error instanceof FlError && error.code === ErrorCode.Timeout)) throw error;
        return this.#cancel(link, id, `${fn.module}/${fn.name}`, waitedMs);
      });
    } finally {
      this.registry.release(reservation);
    }
    const what = `${fn.module}/${fn.name}`;
    switch (answer.type) {
      case 'result':
        return answer;
      case 'invoke_error':
        if (options.details) noteGuestRun(options.details, answer);
        throw FlError.fromPayload(answer.error);
      case 'cancel_reply':
        if (!answer.started) {
          this.counters.dropped++;
          throw new FlError(
            ErrorCode.Timeout,
            `${what} did not start within ${waitedMs} ms: it waited in Worker "${worker}"'s queue and was dropped, so it did not run`,
          );
        }
        throw new FlError(
          ErrorCode.Timeout,
          `${what} started on Worker "${worker}" but did not finish within ${waitedMs} ms (its time limit of ${timeoutMs} ms counts from its start)`,
        );
      default:
        throw new FlError(
          ErrorCode.Internal,
          `Worker "${worker}" answered an invocation with ${answer.type}`,
        );
    }
  }

  /**
   * The Core gives up on invocation `id`: tells the Worker, which drops it if it has not started,
   * and waits a bounded time for its word. Resolves with that word (`cancel_reply`), or with the
   * invocation's own answer should it arrive first; rejects with `timeout` when the Worker says
   * nothing in time, and `worker_lost` when the link goes away.
   */
  async #cancel(link: WorkerLink, id: number, what: string, waitedMs: number): Promise<WorkerAnswer> {
    const limit = this.#options.cancelTimeoutMs;
    try {
      return await link.request(id, { type: 'cancel', id }, limit, `the cancel of invocation ${id}`);
    } catch (error) {
      if (!(error instanceof FlError && error.code === ErrorCode.Timeout)) throw error;
      throw new FlError(
        ErrorCode.Timeout,
        `${what} did not finish within ${waitedMs} ms, and Worker "${link.name}" did not say within ${limit} ms more whether it had started`,
        { cause: error },
      );
    }
  }

  workers(): WorkerInfo[] {
    return this.registry.info();
  }

  /** Open connections that have not joined yet. */
  get pendingJoins(): number {
    return this.#acceptor.pendingJoins;
  }

  /** Names of the Workers joined now. */
  workerNames(): string[] {
    return [...this.#links.keys()];
  }

  closeLinks(): void {
    this.#stopping = true;
    this.#acceptor.closeAll();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopping = true;
    await this.#acceptor.close();
    await Promise.allSettled(this.#closables.map(async (c) => c.close()));
  }
}
