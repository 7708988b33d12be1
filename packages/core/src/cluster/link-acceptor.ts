import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

import {
  coreProof,
  decodeWorkerFrame,
  ErrorCode,
  FlError,
  inProcessChannelPair,
  isWorkerName,
  isWorkerTag,
  hasPrejoinFrameLimit,
  LINK_PREJOIN_MAX_FRAME_BYTES,
  LINK_PROTOCOL_VERSION,
  LinkCloseCode,
  linkKeys,
  linkNonce,
  proofsMatch,
  WebSocketChannel,
  WORKER_NAME_RULE,
  WORKER_TAG_RULE,
  workerProof,
} from '@funless/protocol';
import type { CoreChannel, CoreMessage, JoinMessage, WorkerChannel, WorkerMessage } from '@funless/protocol';
import { WebSocketServer } from 'ws';

import type { ClusterLogger } from './cluster-logger.js';
import { resourceProblem } from './resource-claims.js';
import { WorkerLink } from './worker-link.js';

/** What a joined Worker sends for the cluster's operations (the acceptor answers the rest itself). */
export type WorkerOperationMessage = Exclude<WorkerMessage, { type: 'join' | 'ping' | 'pong' }>;

/** What the acceptor tells the cluster. */
export interface LinkAcceptorEvents {
  /** A Worker proved the secret and joined; `join_accepted` is on its way. */
  joined(link: WorkerLink, join: JoinMessage): void;
  /** A message of the cluster's operations from a joined Worker. */
  message(link: WorkerLink, message: WorkerOperationMessage): void;
  /**
   * The connection closed, went silent or the Core stops: whatever it held must fail. May come
   * more than once for one link, and for links that never joined.
   */
  lost(link: WorkerLink, why: string): void;
}

/** The acceptor's running totals, kept in the cluster's `counters`. */
export interface LinkAcceptorCounters {
  joins: number;
  refused: number;
  /** Connections answered 503 because `maxPendingJoins` were already waiting to join. */
  pendingRefused: number;
}

export interface LinkAcceptorOptions {
  secret: string;
  coreId: string;
  /** Path of the link on the HTTP server. */
  path: string;
  handshakeTimeoutMs: number;
  maxPendingJoins: number;
  /** Sent to each Worker in `join_accepted`. */
  reportIntervalMs: number;
  livenessTimeoutMs: number;
  log: ClusterLogger;
  counters: LinkAcceptorCounters;
  events: LinkAcceptorEvents;
}

const HTTP_503 = 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';
const HTTP_404 = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n';

/**
 * The Core's mechanics of the link: accepts connections (WebSocket upgrades on the HTTP server, or
 * in process), bounds them until they join (`maxPendingJoins`, the handshake time, the pre-join frame
 * limit), runs the challenge and the join, and keeps joined links alive (pings, the liveness limit).
 * What a joined link carries is the cluster's (`LinkAcceptorEvents`). See docs/architecture.md,
 * "The link".
 */
export class LinkAcceptor {
  readonly #options: LinkAcceptorOptions;
  readonly #log: ClusterLogger;
  readonly #events: LinkAcceptorEvents;
  readonly #wss: WebSocketServer;
  /** Every open connection, joined or not. */
  readonly #connections = new Set<WorkerLink>();
  /** Open connections that have not joined yet (bounded by `maxPendingJoins`). */
  readonly #pending = new Set<WorkerLink>();
  /** Open connections that have joined. */
  readonly #joined = new Set<WorkerLink>();
  readonly #timers: NodeJS.Timeout[] = [];
  #server: Server | undefined;
  #closed = false;

  constructor(options: LinkAcceptorOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#events = options.events;
    this.#wss = new WebSocketServer({
      noServer: true,
      // Until a connection joins; raised to a whole sealed frame for it once it has.
      maxPayload: LINK_PREJOIN_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });
    const liveness = options.livenessTimeoutMs;
    // Pings keep a quiet but healthy link alive: three chances within the liveness limit.
    const ping = setInterval(() => this.#pingAll(), Math.max(100, Math.floor(liveness / 3)));
    const check = setInterval(
      () => this.#checkLiveness(),
      Math.max(50, Math.min(1000, Math.floor(liveness / 4))),
    );
    ping.unref();
    check.unref();
    this.#timers.push(ping, check);
  }

  /** Open connections that have not joined yet. */
  get pendingJoins(): number {
    return this.#pending.size;
  }

  /** Accepts the upgrade requests on the link path of `server`. */
  attach(server: Server): void {
    this.#server = server;
    server.on('upgrade', this.#onUpgrade);
  }

  /** The Worker's end of a new in-process connection; closed at once if the acceptor is. */
  acceptInProcess(): WorkerChannel {
    const { core, worker } = inProcessChannelPair();
    if (this.#closed) core.close(LinkCloseCode.Shutdown, 'Core shutting down');
    else this.#accept(core);
    return worker;
  }

  readonly #onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.#options.path) {
      // Nobody else serves upgrades on this server: answer rather than leave the socket hanging.
      if (this.#server && this.#server.listenerCount('upgrade') === 1) socket.end(HTTP_404);
      return;
    }
    if (this.#closed) {
      socket.end(HTTP_503);
      return;
    }
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if (this.#pending.size >= this.#options.maxPendingJoins) {
      this.#options.counters.pendingRefused++;
      this.#log.warn(
        { remote, pending: this.#pending.size },
        'cluster: too many connections waiting to join; refused one with 503',
      );
      socket.end(HTTP_503);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      // The server's maxPayload is the pre-join bound; sealing the joined link raises it.
      if (!hasPrejoinFrameLimit(ws)) {
        this.#log.error({ remote }, 'cluster: this ws version hides its frame limit; link refused');
        ws.terminate();
        return;
      }
      this.#accept(
        new WebSocketChannel<CoreMessage, WorkerMessage>(ws, decodeWorkerFrame, remote),
        () => ws.bufferedAmount,
      );
    });
  };

  #accept(channel: CoreChannel, unsentBytes?: () => number): void {
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
          return;
        }
        switch (message.type) {
          case 'ping':
            link.send({ type: 'pong', at: message.at });
            return;
          case 'pong':
            return;
          case 'join':
            this.#log.warn({ worker: link.name }, 'cluster: a Worker joined twice; link closed');
            link.close(LinkCloseCode.ProtocolError, 'already joined');
            return;
          default:
            this.#events.message(link, message);
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
        this.#joined.delete(link);
        link.close(LinkCloseCode.Shutdown, 'closed');
        this.#events.lost(link, 'disconnected');
      },
      error: (error) => {
        this.#log.debug({ worker: link.name, remote, err: error.message }, 'cluster: link socket error');
      },
    });
    link.send({ type: 'challenge', protocol: LINK_PROTOCOL_VERSION, nonce, core: this.#options.coreId });
  }

  #onJoin(link: WorkerLink, nonce: string, message: WorkerMessage): void {
    const secret = this.#options.secret;
    const refuse = (code: number, error: FlError, msg: string, details: object) => {
      this.#options.counters.refused++;
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
    if (!proofsMatch(workerProof(secret, nonce, join.nonce, join.name), join.proof)) {
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
    link.name = join.name;
    this.#joined.add(link);
    this.#options.counters.joins++;
    link.send({
      type: 'join_accepted',
      core: this.#options.coreId,
      proof: coreProof(secret, nonce, join.nonce, join.name),
      reportIntervalMs: this.#options.reportIntervalMs,
      livenessTimeoutMs: this.#options.livenessTimeoutMs,
    });
    // join_accepted is the last plain frame: from here on both directions are sealed.
    link.channel.seal(linkKeys(secret, nonce, join.nonce, join.name, 'core'));
    this.#events.joined(link, join);
  }

  #pingAll(): void {
    const ping: CoreMessage = { type: 'ping', at: Date.now() };
    for (const link of this.#joined) link.send(ping);
  }

  #checkLiveness(): void {
    const limit = Date.now() - this.#options.livenessTimeoutMs;
    for (const link of this.#joined) {
      if (link.lastSeen < limit) {
        this.#events.lost(link, `silent for over ${this.#options.livenessTimeoutMs} ms`);
        link.close(LinkCloseCode.LivenessTimeout, 'liveness timeout');
      }
    }
  }

  /** Closes every connection at once (the Core stops), each `lost` first. */
  closeAll(): void {
    for (const link of [...this.#connections]) {
      this.#events.lost(link, 'Core shutting down');
      link.close(LinkCloseCode.Shutdown, 'Core shutting down');
      // Workers reconnect at once to a restarting Core: do not wait for the closing handshake.
      link.channel.terminate();
    }
  }

  /** Stops accepting, closes every connection and the WebSocket server. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.#server?.off('upgrade', this.#onUpgrade);
    this.closeAll();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }
}
