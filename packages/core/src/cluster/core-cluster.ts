import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

import {
  CLUSTER_SECRET_MIN_LENGTH,
  coreProof,
  decodeWorkerFrame,
  ErrorCode,
  FlError,
  isWorkerName,
  isWorkerTag,
  LINK_MAX_FRAME_BYTES,
  LINK_PATH,
  LINK_PREJOIN_MAX_FRAME_BYTES,
  LINK_PROTOCOL_VERSION,
  SYNC_BATCH,
  inProcessChannelPair,
  LinkCloseCode,
  linkNonce,
  proofsMatch,
  WORKER_NAME_RULE,
  WORKER_TAG_RULE,
  WebSocketChannel,
  WORKER_RESOURCE_LIMITS,
  workerProof,
} from '@funless/protocol';
import type {
  CodeRequestMessage,
  CoreChannel,
  CoreMessage,
  InvokeMessage,
  JoinMessage,
  LinkFunctionRef,
  ReportMessage,
  WorkerChannel,
  WorkerMessage,
} from '@funless/protocol';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

import { defaultPolicy } from '../scheduling/default-policy.js';
import type {
  Cluster,
  ClusterFunction,
  ClusterFunctionCode,
  InvokeOptions,
  PushReport,
  WorkerInfo,
} from './cluster.js';
import { WorkerLink } from './worker-link.js';
import type { WorkerAnswer } from './worker-link.js';
import { WorkerRegistry } from './worker-registry.js';

/** The structured logger the cluster writes to (pino's shape). */
export interface ClusterLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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
}

/** The defaults of `CoreClusterOptions`. */
export const DEFAULT_CORE_CLUSTER_OPTIONS = {
  path: LINK_PATH,
  pushTimeoutMs: 10_000,
  livenessTimeoutMs: 15_000,
  reportIntervalMs: 5_000,
  invokeTimeoutMs: 60_000,
  invokeGraceMs: 5_000,
  handshakeTimeoutMs: 5_000,
  maxPendingJoins: 64,
  maxUnsentCodeBytes: LINK_MAX_FRAME_BYTES,
} as const;

const NOOP_LOGGER: ClusterLogger = { debug() {}, info() {}, warn() {}, error() {} };

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

/** What is wrong with the resources a `join` or a `report` claims, if anything (`WORKER_RESOURCE_LIMITS`). */
function resourceProblem(claim: JoinMessage | ReportMessage): string | undefined {
  const max = WORKER_RESOURCE_LIMITS.maxMemoryMiB;
  const inRange = (v: number, top: number) => Number.isFinite(v) && v >= 0 && v <= top;
  if (!inRange(claim.memoryTotalMiB, max)) {
    return `memoryTotalMiB ${claim.memoryTotalMiB} is not between 0 and ${max}`;
  }
  if (!inRange(claim.memoryFreeMiB, claim.memoryTotalMiB)) {
    return `memoryFreeMiB ${claim.memoryFreeMiB} is not between 0 and memoryTotalMiB ${claim.memoryTotalMiB}`;
  }
  if (claim.type === 'join' && !inRange(claim.threads, WORKER_RESOURCE_LIMITS.maxThreads)) {
    return `threads ${claim.threads} is not between 0 and ${WORKER_RESOURCE_LIMITS.maxThreads}`;
  }
  if (claim.type === 'report') {
    if (!inRange(claim.reservedMiB, max))
      return `reservedMiB ${claim.reservedMiB} is not between 0 and ${max}`;
    if (!inRange(claim.running, Number.MAX_SAFE_INTEGER)) return `running ${claim.running} is negative`;
  }
  return undefined;
}

/**
 * The setter of one accepted WebSocket's frame limit, to raise once its peer has joined. `ws` has one
 * `maxPayload` per server, which the link sets to the pre-join bound, and keeps each socket's copy
 * in its receiver, checked against each frame's header before the payload is buffered. Returns
 * undefined if this `ws` keeps it elsewhere (the connection is then refused, never left unbounded).
 */
function frameLimitOf(ws: WebSocket): ((bytes: number) => void) | undefined {
  const receiver = (ws as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (!receiver || receiver._maxPayload !== LINK_PREJOIN_MAX_FRAME_BYTES) return undefined;
  return (bytes) => {
    receiver._maxPayload = bytes;
  };
}

/**
 * The cluster of real Workers: accepts their links — over WebSocket on the Core's HTTP server, or
 * in process (`connectInProcess`) — pushes code, places and relays invocations, and drops Workers
 * that go away. See docs/architecture.md, "The link".
 */
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
    workersLost: 0,
  };
  readonly #options: Required<
    Omit<CoreClusterOptions, 'server' | 'logger' | 'announce' | 'coreId' | 'store' | 'secret'>
  >;
  readonly #secret: string;
  readonly #store: CodeSource;
  readonly #log: ClusterLogger;
  readonly #wss: WebSocketServer;
  /** Joined Workers' links by name. */
  readonly #links = new Map<string, WorkerLink>();
  /** Every open connection, joined or not. */
  readonly #connections = new Set<WorkerLink>();
  /** Open connections that have not joined yet (bounded by `maxPendingJoins`). */
  readonly #pending = new Set<WorkerLink>();
  /** The store read in flight for each function's code, shared by concurrent code requests. */
  readonly #codeReads = new Map<string, ReturnType<CodeSource['getFunctionWithCode']>>();
  readonly #timers: NodeJS.Timeout[] = [];
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
    this.coreId = options.coreId ?? randomUUID();
    this.#wss = new WebSocketServer({
      noServer: true,
      // Until a connection joins; raised to LINK_MAX_FRAME_BYTES for it once it has.
      maxPayload: LINK_PREJOIN_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });

    const liveness = this.#options.livenessTimeoutMs;
    // Pings keep a quiet but healthy link alive: three chances within the liveness limit.
    const ping = setInterval(() => this.#pingAll(), Math.max(100, Math.floor(liveness / 3)));
    const check = setInterval(
      () => this.#checkLiveness(),
      Math.max(50, Math.min(1000, Math.floor(liveness / 4))),
    );
    ping.unref();
    check.unref();
    this.#timers.push(ping, check);

    if (options.server) this.attach(options.server, options.announce);
  }

  /** Serves the link on `server` (upgrade requests on the link path) and starts `announce` once it listens. */
  attach(server: Server, announce?: CoreClusterOptions['announce']): void {
    if (this.#server) throw new Error('CoreCluster is already attached to a server');
    this.#server = server;
    server.on('upgrade', this.#onUpgrade);
    // An upgraded link socket keeps `server.close()` waiting for ever, and whoever owns the server
    // (Fastify closes it before its onClose hooks) may close it before closing the cluster: the
    // links must go first, so closing the server closes them.
    const close = server.close.bind(server);
    server.close = (callback?: (err?: Error) => void) => {
      this.#closeLinks();
      return close(callback);
    };
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

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.#options.path) {
      // Nobody else serves upgrades on this server: answer rather than leave the socket hanging.
      if (this.#server && this.#server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    if (this.#closed) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if (this.#pending.size >= this.#options.maxPendingJoins) {
      this.counters.pendingRefused++;
      this.#log.warn(
        { remote, pending: this.#pending.size },
        'cluster: too many connections waiting to join; refused one with 503',
      );
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const raiseFrameLimit = frameLimitOf(ws);
      if (!raiseFrameLimit) {
        this.#log.error({ remote }, 'cluster: this ws version hides its frame limit; link refused');
        ws.terminate();
        return;
      }
      this.#accept(
        new WebSocketChannel<CoreMessage, WorkerMessage>(ws, decodeWorkerFrame, remote),
        () => raiseFrameLimit(LINK_MAX_FRAME_BYTES),
        () => ws.bufferedAmount,
      );
    });
  };

  /**
   * Connects a Worker of this process (the one-process platform, `fl up`): the Worker's end of a
   * new in-process connection, to return from its `LinkDialer`. The link above is the same as over
   * WebSocket, handshake included. Once the cluster is closed, the connection closes at once.
   */
  connectInProcess(): WorkerChannel {
    const { core, worker } = inProcessChannelPair();
    if (this.#closed) core.close(LinkCloseCode.Shutdown, 'Core shutting down');
    else this.#accept(core);
    return worker;
  }

  /** `joined` runs once the connection's join is accepted (a WebSocket's frame limit is raised there). */
  #accept(channel: CoreChannel, joined?: () => void, unsentBytes?: () => number): void {
    const remote = channel.remote;
    const link = new WorkerLink(channel, unsentBytes);
    this.#connections.add(link);
    this.#pending.add(link);
    const nonce = linkNonce();
    const handshake = setTimeout(() => {
      this.#log.warn({ remote }, 'cluster: a connection did not join in time; closed');
      link.close(LinkCloseCode.ProtocolError, 'no join in time');
    }, this.#options.handshakeTimeoutMs);
    handshake.unref();

    channel.listen({
      message: (message) => {
        link.lastSeen = Date.now();
        if (link.name === undefined) {
          clearTimeout(handshake);
          this.#onJoin(link, nonce, message);
          this.#pending.delete(link);
          if (link.name !== undefined) joined?.();
        } else {
          this.#onMessage(link, message);
        }
      },
      invalid: (error) => {
        link.lastSeen = Date.now();
        this.#log.warn(
          { worker: link.name, remote, err: error.message },
          'cluster: bad frame from a Worker; link closed',
        );
        link.close(LinkCloseCode.ProtocolError, error.message);
      },
      close: () => {
        clearTimeout(handshake);
        this.#connections.delete(link);
        this.#pending.delete(link);
        link.close(LinkCloseCode.Shutdown, 'closed');
        this.#drop(link, 'disconnected');
      },
      error: (error) => {
        this.#log.debug({ worker: link.name, remote, err: error.message }, 'cluster: link socket error');
      },
    });
    link.send({ type: 'challenge', protocol: LINK_PROTOCOL_VERSION, nonce, core: this.coreId });
  }

  #onJoin(link: WorkerLink, nonce: string, message: WorkerMessage): void {
    const refuse = (code: number, error: FlError, msg: string, details: object) => {
      this.counters.refused++;
      this.#log.warn({ remote: link.remote, ...details }, msg);
      link.send({ type: 'join_refused', error: error.toPayload() });
      link.close(code, error.message);
    };
    if (message.type !== 'join') {
      refuse(
        LinkCloseCode.ProtocolError,
        new FlError(ErrorCode.BadRequest, `expected join, got ${message.type}`),
        'cluster: a connection sent something before joining; refused',
        { type: message.type },
      );
      return;
    }
    const join: JoinMessage = message;
    if (join.protocol !== LINK_PROTOCOL_VERSION) {
      refuse(
        LinkCloseCode.VersionMismatch,
        new FlError(
          ErrorCode.BadRequest,
          `link protocol ${join.protocol} is not this Core's ${LINK_PROTOCOL_VERSION}: upgrade the older side`,
        ),
        'cluster: refused a Worker speaking another protocol version',
        { worker: join.name, protocol: join.protocol },
      );
      return;
    }
    if (!proofsMatch(workerProof(this.#secret, nonce, join.nonce, join.name), join.proof)) {
      refuse(
        LinkCloseCode.Unauthorized,
        new FlError(
          ErrorCode.Unauthorized,
          "wrong cluster secret: set FL_CLUSTER_SECRET to the Core's secret",
        ),
        'cluster: refused a Worker with a wrong cluster secret',
        { worker: join.name },
      );
      return;
    }
    if (!isWorkerName(join.name) || !isWorkerTag(join.tag)) {
      refuse(
        LinkCloseCode.ProtocolError,
        new FlError(
          ErrorCode.BadRequest,
          `a Worker name must be ${WORKER_NAME_RULE} and its tag ${WORKER_TAG_RULE}`,
        ),
        'cluster: refused a Worker with an invalid name or tag',
        { worker: join.name },
      );
      return;
    }
    const problem = resourceProblem(join);
    if (problem !== undefined) {
      refuse(
        LinkCloseCode.ProtocolError,
        new FlError(ErrorCode.BadRequest, `a Worker's join claims impossible resources: ${problem}`),
        'cluster: refused a Worker claiming impossible resources',
        { worker: join.name, problem },
      );
      return;
    }
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
    link.name = join.name;
    this.#links.set(join.name, link);
    this.registry.add(join);
    this.counters.joins++;
    link.send({
      type: 'join_accepted',
      core: this.coreId,
      proof: coreProof(this.#secret, nonce, join.nonce, join.name),
      reportIntervalMs: this.#options.reportIntervalMs,
      livenessTimeoutMs: this.#options.livenessTimeoutMs,
    });
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

  #onMessage(link: WorkerLink, message: WorkerMessage): void {
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
      case 'ping':
        link.send({ type: 'pong', at: message.at });
        return;
      case 'pong':
        return;
      case 'join':
        this.#log.warn({ worker: link.name }, 'cluster: a Worker joined twice; link closed');
        link.close(LinkCloseCode.ProtocolError, 'already joined');
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

  #pingAll(): void {
    const ping: CoreMessage = { type: 'ping', at: Date.now() };
    for (const link of this.#links.values()) link.send(ping);
  }

  #checkLiveness(): void {
    const limit = Date.now() - this.#options.livenessTimeoutMs;
    for (const link of this.#links.values()) {
      if (link.lastSeen < limit) {
        this.#drop(link, `silent for over ${this.#options.livenessTimeoutMs} ms`);
        link.close(LinkCloseCode.LivenessTimeout, 'liveness timeout');
      }
    }
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
    const push = this.#broadcast(id, message, `the push of ${fn.module}/${fn.name}`).then((report) => {
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
    const timeoutMs = options.timeoutMs ?? this.#options.invokeTimeoutMs;
    const placement = (options.policy ?? defaultPolicy)(this.registry.views(), fn);
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
    };
    const reservation = this.registry.reserve(worker, fn);
    this.counters.invocations++;
    let answer: WorkerAnswer;
    try {
      answer = await link.request(id, message, timeoutMs + this.#options.invokeGraceMs, `invocation ${id}`);
    } catch (error) {
      if (error instanceof FlError && error.code === ErrorCode.Timeout) {
        throw new FlError(ErrorCode.Timeout, `${fn.module}/${fn.name} did not finish within ${timeoutMs} ms`);
      }
      throw error;
    } finally {
      this.registry.release(reservation);
    }
    if (answer.type === 'result') {
      if (options.details) options.details.durationMs = answer.durationMs;
      return answer.result;
    }
    if (answer.type === 'invoke_error') throw FlError.fromPayload(answer.error);
    throw new FlError(ErrorCode.Internal, `Worker "${worker}" answered an invocation with ${answer.type}`);
  }

  workers(): WorkerInfo[] {
    return this.registry.info();
  }

  /** Open connections that have not joined yet. */
  get pendingJoins(): number {
    return this.#pending.size;
  }

  /** Names of the Workers joined now. */
  workerNames(): string[] {
    return [...this.#links.keys()];
  }

  #closeLinks(): void {
    this.#stopping = true;
    for (const link of [...this.#connections]) {
      this.#drop(link, 'Core shutting down');
      link.close(LinkCloseCode.Shutdown, 'Core shutting down');
      // Workers reconnect at once to a restarting Core: do not wait for the closing handshake.
      link.channel.terminate();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#server?.off('upgrade', this.#onUpgrade);
    this.#closeLinks();
    await Promise.allSettled(this.#closables.map(async (c) => c.close()));
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
