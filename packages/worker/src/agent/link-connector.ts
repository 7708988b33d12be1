import {
  coreProof,
  LINK_PROTOCOL_VERSION,
  LinkCloseCode,
  linkKeys,
  linkNonce,
  proofsMatch,
  untrustedCertificateMessage,
  workerProof,
} from '@funless/protocol';
import type {
  CoreMessage,
  JoinAcceptedMessage,
  LinkDialer,
  WorkerChannel,
  WorkerMessage,
} from '@funless/protocol';

import type { AgentLogger } from './agent-runtime.js';
import { webSocketDialer } from './websocket-dialer.js';

/** The state of one Core connection. */
export const ConnectionState = {
  Connecting: 'connecting',
  Joined: 'joined',
  Waiting: 'waiting',
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** What a Core sends for the Worker's operations (the connector answers the rest itself). */
export type CoreOperationMessage = Exclude<
  CoreMessage,
  { type: 'challenge' | 'join_accepted' | 'join_refused' | 'ping' | 'pong' }
>;

/** Who this Worker is and how it redials: what the connector needs to join. */
export interface LinkConnectorContext {
  readonly name: string;
  readonly tag: string;
  readonly secret: string;
  readonly version: string;
  readonly threads: number;
  readonly log: AgentLogger;
  readonly reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** Memory offered and free now, in MiB (claimed in the join). */
  memory(): { totalMiB: number; freeMiB: number };
}

/** What the connector tells the operations above it; each call names the connection it is about. */
export interface LinkConnectorEvents {
  /** Joined the Core over `channel` (the Core proved the secret). */
  joined(channel: WorkerChannel, accepted: JoinAcceptedMessage): void;
  /** A message of the operations from the joined Core. */
  message(channel: WorkerChannel, message: CoreOperationMessage): void;
  /** `channel` closed: whatever waits on it must fail. A new connection may follow. */
  closed(channel: WorkerChannel): void;
}

/**
 * The Worker's mechanics of one Core's link: dials over the transport its dialer opens (WebSocket,
 * or in process), answers the challenge with the join and checks the Core's proof, answers pings,
 * redials a silent Core, and reconnects with exponential backoff and jitter whenever the link
 * breaks, until `close()`. What a joined link carries is the operations' (`LinkConnectorEvents`).
 */
export class LinkConnector {
  state: ConnectionState = ConnectionState.Connecting;
  /** The Core's id once joined. */
  coreId: string | undefined;
  /** Failed attempts since the last successful join. */
  attempts = 0;
  readonly url: string;
  readonly #dialer: LinkDialer;
  #channel: WorkerChannel | undefined;
  #retry: NodeJS.Timeout | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;
  #lastSeen = 0;
  #joinedWaiters: (() => void)[] = [];
  /** The certificate problem last logged, so that redialling does not log it again. */
  #certificateWarning: string | undefined;

  /** @param core - the Core's URL (dialled over WebSocket) or a dialer of another transport */
  constructor(
    core: string | LinkDialer,
    private readonly ctx: LinkConnectorContext,
    private readonly events: LinkConnectorEvents,
  ) {
    this.#dialer = typeof core === 'string' ? webSocketDialer(core) : core;
    this.url = this.#dialer.url;
  }

  /** The joined connection, if any. */
  get channel(): WorkerChannel | undefined {
    return this.state === ConnectionState.Joined ? this.#channel : undefined;
  }

  start(): void {
    this.#connect();
  }

  /** Resolves once joined (now or later); never rejects; resolves at close too. */
  joined(): Promise<void> {
    if (this.state === ConnectionState.Joined || this.state === ConnectionState.Closed)
      return Promise.resolve();
    return new Promise((resolve) => this.#joinedWaiters.push(resolve));
  }

  #connect(): void {
    if (this.state === ConnectionState.Closed) return;
    this.state = ConnectionState.Connecting;
    const channel = this.#dialer.dial();
    this.#channel = channel;
    const nonce = linkNonce();
    let coreNonce: string | undefined;
    let reason = 'connection closed';

    // A connection being closed can still deliver what was in flight (e.g. a join_accepted after
    // close()): acting on it would revive a closed connection, which would then reconnect forever.
    const current = () => this.state !== ConnectionState.Closed && this.#channel === channel;
    channel.listen({
      message: (message) => {
        if (!current()) return;
        this.#lastSeen = Date.now();
        if (this.state !== ConnectionState.Joined) {
          const outcome = this.#handshake(channel, message, nonce, coreNonce);
          if (typeof outcome === 'string') coreNonce = outcome;
          else if (outcome instanceof Error) reason = outcome.message;
          return;
        }
        switch (message.type) {
          case 'ping':
            if (channel.open) channel.send({ type: 'pong', at: message.at });
            return;
          case 'pong':
            return;
          case 'challenge':
          case 'join_accepted':
          case 'join_refused':
            this.ctx.log.warn(
              { core: this.url, type: message.type },
              'link: unexpected message after joining; reconnecting',
            );
            channel.close(LinkCloseCode.ProtocolError, `unexpected ${message.type}`);
            return;
          default:
            this.events.message(channel, message);
        }
      },
      invalid: (error) => {
        if (!current()) return;
        this.#lastSeen = Date.now();
        reason = error.message;
        this.ctx.log.warn({ core: this.url, err: reason }, 'link: bad frame from the Core; reconnecting');
        channel.close(LinkCloseCode.ProtocolError, reason);
      },
      close: (code, why) => {
        const wasJoined = this.state === ConnectionState.Joined;
        this.#stopLiveness();
        this.events.closed(channel);
        if (this.#channel === channel) this.#channel = undefined;
        if (this.state === ConnectionState.Closed) return;
        const detail = why.length > 0 ? why : reason;
        if (wasJoined)
          this.ctx.log.warn({ core: this.url, code, reason: detail }, 'link: lost the Core; reconnecting');
        this.#scheduleRetry(code === LinkCloseCode.Unauthorized);
      },
      error: (error) => {
        reason = error.message;
        const untrusted = untrustedCertificateMessage(error, this.url);
        if (untrusted !== undefined) {
          reason = untrusted;
          // Once until it joins or the problem changes: the connector keeps redialling.
          if (this.#certificateWarning !== untrusted) {
            this.#certificateWarning = untrusted;
            this.ctx.log.error({ core: this.url }, `link: ${untrusted}`);
          }
          return;
        }
        this.ctx.log.debug({ core: this.url, err: error.message }, 'link: connection error');
      },
    });
  }

  /** Runs the handshake; returns the Core's nonce after `challenge`, an Error when refused. */
  #handshake(
    channel: WorkerChannel,
    message: CoreMessage,
    nonce: string,
    coreNonce: string | undefined,
  ): string | Error | void {
    const ctx = this.ctx;
    if (message.type === 'challenge' && coreNonce === undefined) {
      if (message.protocol !== LINK_PROTOCOL_VERSION) {
        const error = new Error(
          `the Core speaks link protocol ${message.protocol}, this Worker ${LINK_PROTOCOL_VERSION}`,
        );
        ctx.log.error({ core: this.url }, `link: ${error.message}; upgrade the older side`);
        channel.close(LinkCloseCode.VersionMismatch, 'protocol version');
        return error;
      }
      const memory = ctx.memory();
      this.#send(channel, {
        type: 'join',
        protocol: LINK_PROTOCOL_VERSION,
        name: ctx.name,
        tag: ctx.tag,
        memoryTotalMiB: memory.totalMiB,
        memoryFreeMiB: memory.freeMiB,
        threads: ctx.threads,
        version: ctx.version,
        nonce,
        proof: workerProof(ctx.secret, message.nonce, nonce, ctx.name),
      });
      return message.nonce;
    }
    if (message.type === 'join_refused') {
      ctx.log.error(
        { core: this.url, code: message.error.code },
        `link: the Core refused this Worker: ${message.error.message}`,
      );
      return new Error(message.error.message);
    }
    if (message.type === 'join_accepted' && coreNonce !== undefined) {
      if (!proofsMatch(coreProof(ctx.secret, coreNonce, nonce, ctx.name), message.proof)) {
        const error = new Error('the Core did not prove it holds the cluster secret');
        ctx.log.error(
          { core: this.url },
          `link: ${error.message} (wrong FL_CLUSTER_SECRET on one side); disconnecting`,
        );
        channel.close(LinkCloseCode.Unauthorized, 'wrong cluster secret');
        return error;
      }
      // Before anything else: the Core's next frame is sealed (ws delivers frames one at a time).
      channel.seal(linkKeys(ctx.secret, coreNonce, nonce, ctx.name, 'worker'));
      this.state = ConnectionState.Joined;
      this.#certificateWarning = undefined;
      this.coreId = message.core;
      this.attempts = 0;
      this.#startLiveness(channel, message.livenessTimeoutMs);
      this.events.joined(channel, message);
      ctx.log.info({ core: this.url, coreId: message.core, worker: ctx.name }, 'link: joined the Core');
      for (const resolve of this.#joinedWaiters.splice(0)) resolve();
      return;
    }
    const error = new Error(`the Core sent ${message.type} during the handshake`);
    ctx.log.warn({ core: this.url }, `link: ${error.message}; reconnecting`);
    channel.close(LinkCloseCode.ProtocolError, 'unexpected message during the handshake');
    return error;
  }

  #send(channel: WorkerChannel, message: WorkerMessage): void {
    if (!channel.open) return;
    try {
      channel.send(message);
    } catch (error) {
      this.ctx.log.error({ core: this.url, type: message.type, err: error }, 'link: could not send');
    }
  }

  #startLiveness(channel: WorkerChannel, livenessTimeoutMs: number): void {
    this.#stopLiveness();
    this.#lastSeen = Date.now();
    const check = Math.max(50, Math.min(1000, Math.floor(livenessTimeoutMs / 4)));
    this.#livenessTimer = setInterval(() => {
      if (Date.now() - this.#lastSeen > livenessTimeoutMs) {
        this.ctx.log.warn(
          { core: this.url, silentMs: Date.now() - this.#lastSeen },
          'link: the Core went silent; reconnecting',
        );
        channel.terminate();
      }
    }, check);
  }

  #stopLiveness(): void {
    clearInterval(this.#livenessTimer);
  }

  #scheduleRetry(refused: boolean): void {
    this.state = ConnectionState.Waiting;
    const { initialDelayMs, maxDelayMs } = this.ctx.reconnect;
    const ceiling = refused
      ? maxDelayMs
      : Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    // Jitter: a restarted Core is not hit by every Worker at the same instant.
    const delay = Math.round(ceiling * (0.5 + Math.random() * 0.5));
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  /** Stops for good: no reconnection. */
  close(): void {
    this.state = ConnectionState.Closed;
    clearTimeout(this.#retry);
    this.#stopLiveness();
    for (const resolve of this.#joinedWaiters.splice(0)) resolve();
    const channel = this.#channel;
    this.#channel = undefined;
    channel?.close(LinkCloseCode.Shutdown, 'Worker shutting down');
  }
}
