import {
  coreProof,
  decodeCoreFrame,
  ErrorCode,
  FlError,
  LINK_MAX_FRAME_BYTES,
  LINK_PATH,
  LINK_PROTOCOL_VERSION,
  LinkCloseCode,
  linkNonce,
  proofsMatch,
  WebSocketChannel,
  workerProof,
} from '@funless/protocol';
import type {
  CodeReplyMessage,
  CoreMessage,
  DropMessage,
  ErrorPayload,
  InvokeMessage,
  LinkDialer,
  StoreMessage,
  WorkerChannel,
  WorkerMessage,
} from '@funless/protocol';
import WebSocket from 'ws';

import type { FunctionRef } from '../runtime/types.js';
import type { AgentLogger, AgentRuntime } from './agent-runtime.js';
import type { HostUsageSample } from './host-usage.js';

/** What a connection shares with its agent and the agent's other connections. */
export interface AgentContext {
  readonly name: string;
  readonly tag: string;
  readonly secret: string;
  readonly version: string;
  readonly threads: number;
  readonly runtime: AgentRuntime;
  readonly log: AgentLogger;
  readonly reconnect: { initialDelayMs: number; maxDelayMs: number };
  /** Time bound of a code request, in ms. */
  readonly codeRequestTimeoutMs: number;
  /** Memory offered and free now, in MiB (free already net of every running invocation). */
  memory(): { totalMiB: number; freeMiB: number; running: number };
  /** The machine's CPU use and load average, sent in reports. */
  usage(): HostUsageSample;
  /** Accounting of invocations running on this Worker, from any Core. */
  started(capacityMiB: number): void;
  finished(capacityMiB: number): void;
  /** Stores code, dropping other versions of the same function. */
  storeCode(fn: FunctionRef & { code: Uint8Array }): Promise<void>;
  dropCode(module: string, name: string, hash?: string): Promise<void>;
  /** False once the agent is draining: new invocations are refused. */
  accepting(): boolean;
}

/** The state of one Core connection. */
export const ConnectionState = {
  Connecting: 'connecting',
  Joined: 'joined',
  Waiting: 'waiting',
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

interface PendingCode {
  resolve: (code: Uint8Array) => void;
  reject: (error: FlError) => void;
  timer: NodeJS.Timeout;
}

/** The URL a Worker dials for a Core's URL: the link path is added when the URL has none. */
function linkUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname === '' || parsed.pathname === '/') parsed.pathname = LINK_PATH;
  return parsed.toString();
}

/** Dials the Core at `url` (`ws://`, `http://`…) over WebSocket: the link between processes. */
export function webSocketDialer(url: string): LinkDialer {
  const target = linkUrl(url);
  return {
    url,
    dial: () =>
      new WebSocketChannel<WorkerMessage, CoreMessage>(
        new WebSocket(target, {
          maxPayload: LINK_MAX_FRAME_BYTES,
          perMessageDeflate: false,
          handshakeTimeout: 10_000,
        }),
        decodeCoreFrame,
        url,
      ),
  };
}

/**
 * The Worker's one persistent link to one Core, over the transport its dialer opens (WebSocket,
 * or in process): connects, proves the secret, joins, reports its resources, applies pushes, runs
 * invocations, and reconnects with exponential backoff and jitter whenever the link breaks, until
 * `close()`.
 */
export class CoreConnection {
  state: ConnectionState = ConnectionState.Connecting;
  /** The Core's id once joined. */
  coreId: string | undefined;
  /** Failed attempts since the last successful join. */
  attempts = 0;
  readonly url: string;
  readonly #dialer: LinkDialer;
  #channel: WorkerChannel | undefined;
  #retry: NodeJS.Timeout | undefined;
  #reportTimer: NodeJS.Timeout | undefined;
  #livenessTimer: NodeJS.Timeout | undefined;
  #lastSeen = 0;
  #livenessTimeoutMs = 15_000;
  #nextId = 1;
  /** Capacity this Core's invocations hold here now, in MiB (sent in reports). */
  #reservedMiB = 0;
  readonly #pendingCode = new Map<number, PendingCode>();
  /** One code request per version at a time, however many invocations wait for it. */
  readonly #fetching = new Map<string, Promise<void>>();
  #joinedWaiters: (() => void)[] = [];
  /** What the cache held when this connection joined, and the functions the Core's sync named so far. */
  #heldAtJoin: FunctionRef[] = [];
  #synced = new Set<string>();

  /** @param core - the Core's URL (dialled over WebSocket) or a dialer of another transport */
  constructor(
    core: string | LinkDialer,
    private readonly ctx: AgentContext,
  ) {
    this.#dialer = typeof core === 'string' ? webSocketDialer(core) : core;
    this.url = this.#dialer.url;
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
        this.#onMessage(channel, message);
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
        this.#stopTimers();
        this.#failPending(new FlError(ErrorCode.WorkerLost, `link to ${this.url} closed`));
        if (this.#channel === channel) this.#channel = undefined;
        if (this.state === ConnectionState.Closed) return;
        const detail = why.length > 0 ? why : reason;
        if (wasJoined)
          this.ctx.log.warn({ core: this.url, code, reason: detail }, 'link: lost the Core; reconnecting');
        this.#scheduleRetry(code === LinkCloseCode.Unauthorized);
      },
      error: (error) => {
        reason = error.message;
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
      this.state = ConnectionState.Joined;
      this.coreId = message.core;
      this.attempts = 0;
      this.#livenessTimeoutMs = message.livenessTimeoutMs;
      this.#heldAtJoin = ctx.runtime.list();
      this.#synced = new Set();
      this.#startTimers(channel, message.reportIntervalMs);
      ctx.log.info({ core: this.url, coreId: message.core, worker: ctx.name }, 'link: joined the Core');
      for (const resolve of this.#joinedWaiters.splice(0)) resolve();
      return;
    }
    const error = new Error(`the Core sent ${message.type} during the handshake`);
    ctx.log.warn({ core: this.url }, `link: ${error.message}; reconnecting`);
    channel.close(LinkCloseCode.ProtocolError, 'unexpected message during the handshake');
    return error;
  }

  #onMessage(channel: WorkerChannel, message: CoreMessage): void {
    switch (message.type) {
      case 'store':
        void this.#onStore(channel, message);
        return;
      case 'drop':
        void this.#onDrop(channel, message);
        return;
      case 'sync':
        for (const f of message.functions) this.#synced.add(refKey(f));
        if (message.last) void this.#onSynced();
        return;
      case 'invoke':
        void this.#onInvoke(channel, message);
        return;
      case 'code_reply':
        this.#onCodeReply(message);
        return;
      case 'ping':
        this.#send(channel, { type: 'pong', at: message.at });
        return;
      case 'pong':
        return;
      default:
        this.ctx.log.warn(
          { core: this.url, type: message.type },
          'link: unexpected message after joining; reconnecting',
        );
        channel.close(LinkCloseCode.ProtocolError, `unexpected ${message.type}`);
    }
  }

  async #onStore(channel: WorkerChannel, message: StoreMessage): Promise<void> {
    const { id, module, name, hash, code } = message;
    try {
      await this.ctx.storeCode({ module, name, hash, code });
      this.#send(channel, { type: 'ack', id });
    } catch (error) {
      this.ctx.log.error({ module, name, hash, err: error }, 'link: could not store pushed code');
      this.#send(channel, { type: 'ack', id, error: payload(error) });
    }
  }

  /**
   * The Core named every function it has: drop the versions this Worker held before joining that it
   * did not name (deleted or updated while the Worker was away). Code stored since is kept.
   */
  async #onSynced(): Promise<void> {
    const stale = this.#heldAtJoin.filter((ref) => !this.#synced.has(refKey(ref)));
    this.#heldAtJoin = [];
    this.#synced = new Set();
    for (const ref of stale) {
      try {
        await this.ctx.dropCode(ref.module, ref.name, ref.hash);
      } catch (error) {
        this.ctx.log.warn({ core: this.url, err: error, ...ref }, 'link: could not drop stale code');
      }
    }
    if (stale.length > 0) {
      this.ctx.log.info(
        { core: this.url, dropped: stale.length },
        'link: dropped the code of functions the Core no longer has',
      );
    }
  }

  async #onDrop(channel: WorkerChannel, message: DropMessage): Promise<void> {
    try {
      await this.ctx.dropCode(message.module, message.name, message.hash);
      this.#send(channel, { type: 'ack', id: message.id });
    } catch (error) {
      this.#send(channel, { type: 'ack', id: message.id, error: payload(error) });
    }
  }

  async #onInvoke(channel: WorkerChannel, message: InvokeMessage): Promise<void> {
    const { id, module, name, hash, capacityMiB, input, timeoutMs } = message;
    if (!this.ctx.accepting()) {
      this.#send(channel, {
        type: 'invoke_error',
        id,
        error: { code: ErrorCode.WorkerLost, message: `Worker "${this.ctx.name}" is shutting down` },
      });
      return;
    }
    this.ctx.started(capacityMiB);
    this.#reservedMiB += capacityMiB;
    try {
      const request = { module, name, hash, capacityMiB, input, timeoutMs };
      let outcome = await this.ctx.runtime.invoke(request);
      if (outcome.type === 'missing') {
        // A late joiner or a lost cache: one transfer, stored and kept from then on.
        await this.#fetchCode({ module, name, hash });
        outcome = await this.ctx.runtime.invoke(request);
        if (outcome.type === 'missing') {
          throw new FlError(ErrorCode.NotFound, `function ${module}/${name} changed while it was starting`);
        }
      }
      this.#send(channel, { type: 'result', id, result: outcome.result, durationMs: outcome.durationMs });
    } catch (error) {
      this.#send(channel, { type: 'invoke_error', id, error: payload(error) });
    } finally {
      this.#reservedMiB -= capacityMiB;
      this.ctx.finished(capacityMiB);
    }
  }

  /** Fetches the code of `ref` from the Core and stores it, once however many invocations wait. */
  #fetchCode(ref: FunctionRef): Promise<void> {
    const key = `${ref.module}/${ref.name}@${ref.hash}`;
    let fetching = this.#fetching.get(key);
    if (!fetching) {
      fetching = this.#requestCode(ref).then((code) => this.ctx.storeCode({ ...ref, code }));
      this.#fetching.set(key, fetching);
      const forget = () => this.#fetching.delete(key);
      fetching.then(forget, forget);
    }
    return fetching;
  }

  #requestCode(ref: FunctionRef): Promise<Uint8Array> {
    const channel = this.#channel;
    if (!channel || this.state !== ConnectionState.Joined) {
      return Promise.reject(new FlError(ErrorCode.WorkerLost, `link to ${this.url} closed`));
    }
    const id = this.#nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingCode.delete(id);
        reject(
          new FlError(
            ErrorCode.Timeout,
            `the Core did not send the code of ${ref.module}/${ref.name} within ${this.ctx.codeRequestTimeoutMs} ms`,
          ),
        );
      }, this.ctx.codeRequestTimeoutMs);
      this.#pendingCode.set(id, { resolve, reject, timer });
      this.#send(channel, { type: 'code_request', id, ...ref });
    });
  }

  #onCodeReply(message: CodeReplyMessage): void {
    const pending = this.#pendingCode.get(message.id);
    if (!pending) return;
    this.#pendingCode.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.code);
    else pending.reject(FlError.fromPayload(message.error));
  }

  #failPending(error: FlError): void {
    for (const pending of this.#pendingCode.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pendingCode.clear();
  }

  #startTimers(channel: WorkerChannel, reportIntervalMs: number): void {
    this.#stopTimers();
    this.#reportTimer = setInterval(() => this.#report(channel), reportIntervalMs);
    this.#lastSeen = Date.now();
    const check = Math.max(50, Math.min(1000, Math.floor(this.#livenessTimeoutMs / 4)));
    this.#livenessTimer = setInterval(() => {
      if (Date.now() - this.#lastSeen > this.#livenessTimeoutMs) {
        this.ctx.log.warn(
          { core: this.url, silentMs: Date.now() - this.#lastSeen },
          'link: the Core went silent; reconnecting',
        );
        channel.terminate();
      }
    }, check);
  }

  #stopTimers(): void {
    clearInterval(this.#reportTimer);
    clearInterval(this.#livenessTimer);
  }

  #report(channel: WorkerChannel): void {
    const memory = this.ctx.memory();
    this.#send(channel, {
      type: 'report',
      memoryTotalMiB: memory.totalMiB,
      memoryFreeMiB: memory.freeMiB,
      reservedMiB: this.#reservedMiB,
      running: memory.running,
      ...this.ctx.usage(),
    });
  }

  #send(channel: WorkerChannel, message: WorkerMessage): void {
    if (!channel.open) return;
    try {
      channel.send(message);
    } catch (error) {
      // An answer over the frame's bounds: tell the Core at once instead of leaving it waiting.
      if (
        message.type === 'result' ||
        (message.type === 'invoke_error' && message.error.code !== ErrorCode.Internal)
      ) {
        const failure = {
          code: ErrorCode.Internal,
          message: `the answer could not be sent: ${payload(error).message}`,
        };
        this.#send(channel, { type: 'invoke_error', id: message.id, error: failure });
      } else {
        this.ctx.log.error({ core: this.url, type: message.type, err: error }, 'link: could not send');
      }
    }
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

  /** Stops for good: no reconnection; pending code requests fail. */
  close(): void {
    this.state = ConnectionState.Closed;
    clearTimeout(this.#retry);
    this.#stopTimers();
    this.#failPending(new FlError(ErrorCode.WorkerLost, 'Worker shutting down'));
    for (const resolve of this.#joinedWaiters.splice(0)) resolve();
    const channel = this.#channel;
    this.#channel = undefined;
    channel?.close(LinkCloseCode.Shutdown, 'Worker shutting down');
  }
}

function payload(error: unknown): ErrorPayload {
  if (error instanceof FlError) return error.toPayload();
  return { code: ErrorCode.Internal, message: error instanceof Error ? error.message : String(error) };
}

function refKey(ref: { module: string; name: string; hash: string }): string {
  return `${ref.module}/${ref.name}/${ref.hash}`;
}
