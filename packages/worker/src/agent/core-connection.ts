import { ErrorCode, FlError } from '@funless/protocol';
import type {
  CodeReplyMessage,
  DropMessage,
  ErrorPayload,
  InvokeErrorMessage,
  InvokeMessage,
  JoinAcceptedMessage,
  LinkDialer,
  ResultMessage,
  StoreMessage,
  WorkerChannel,
  WorkerMessage,
} from '@funless/protocol';

import { InvocationError } from '../runtime/invocation-error.js';
import type { FunctionRef } from '../runtime/types.js';
import type { AgentRuntime } from './agent-runtime.js';
import { LinkConnector } from './link-connector.js';
import type { ConnectionState, CoreOperationMessage, LinkConnectorContext } from './link-connector.js';
import type { HostUsageSample } from './host-usage.js';

/** What a connection shares with its agent and the agent's other connections. */
export interface AgentContext extends LinkConnectorContext {
  readonly runtime: AgentRuntime;
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

/** An invocation of this connection's Core, from its `invoke` until its answer. */
interface InFlight {
  /** Drops the invocation while it has not started on a thread. */
  readonly controller: AbortController;
  /** A thread took it: from then on it runs to its own end or time limit. */
  started: boolean;
  /** Dropped before it started: its answer was the `cancel_reply`, nothing follows. */
  dropped: boolean;
}

/**
 * Shortest time between two reports that a change of load makes (docs/scheduling.md, "Several
 * Cores"), in ms: the other Cores see a placement within about this long, and a burst of
 * invocations costs at most one report per link per gap.
 */
export const LOAD_REPORT_GAP_MS = 100;

interface PendingCode {
  resolve: (code: Uint8Array) => void;
  reject: (error: FlError) => void;
  timer: NodeJS.Timeout;
}

/**
 * The Worker's operations on one Core's link: reports its resources, applies pushes, drops and the
 * sync, runs invocations and fetches missing code, over the connection its `LinkConnector` dials,
 * joins and keeps alive (redialling whenever it breaks, until `close()`).
 */
export class CoreConnection {
  readonly url: string;
  readonly #link: LinkConnector;
  #reportTimer: NodeJS.Timeout | undefined;
  /** A report a change of load asked for, waiting for the gap since the last one. */
  #soonTimer: NodeJS.Timeout | undefined;
  #lastReportAt = 0;
  #channel: WorkerChannel | undefined;
  #nextId = 1;
  /** Capacity this Core's invocations hold here now, in MiB (sent in reports). */
  #reservedMiB = 0;
  readonly #pendingCode = new Map<number, PendingCode>();
  /** This Core's invocations here, by the Core's request id. */
  readonly #inFlight = new Map<number, InFlight>();
  /** One code request per version at a time, however many invocations wait for it. */
  readonly #fetching = new Map<string, Promise<void>>();
  /** What the cache held when this connection joined, and the functions the Core's sync named so far. */
  #heldAtJoin: FunctionRef[] = [];
  #synced = new Set<string>();

  /** @param core - the Core's URL (dialled over WebSocket) or a dialer of another transport */
  constructor(
    core: string | LinkDialer,
    private readonly ctx: AgentContext,
  ) {
    this.#link = new LinkConnector(core, ctx, {
      joined: (channel, accepted) => this.#onJoined(channel, accepted),
      message: (channel, message) => this.#onMessage(channel, message),
      closed: () => {
        clearInterval(this.#reportTimer);
        clearTimeout(this.#soonTimer);
        this.#soonTimer = undefined;
        this.#channel = undefined;
        this.#failPending(new FlError(ErrorCode.WorkerLost, `link to ${this.url} closed`));
        this.#dropWaiting();
      },
    });
    this.url = this.#link.url;
  }

  get state(): ConnectionState {
    return this.#link.state;
  }

  /** The Core's id once joined. */
  get coreId(): string | undefined {
    return this.#link.coreId;
  }

  /** Failed attempts since the last successful join. */
  get attempts(): number {
    return this.#link.attempts;
  }

  start(): void {
    this.#link.start();
  }

  /** Resolves once joined (now or later); never rejects; resolves at close too. */
  joined(): Promise<void> {
    return this.#link.joined();
  }

  #onJoined(channel: WorkerChannel, accepted: JoinAcceptedMessage): void {
    this.#heldAtJoin = this.ctx.runtime.list();
    this.#synced = new Set();
    clearInterval(this.#reportTimer);
    this.#channel = channel;
    this.#reportTimer = setInterval(() => this.#report(channel), accepted.reportIntervalMs);
  }

  /**
   * The Worker's load changed (an invocation from any Core started or finished): this Core hears
   * of it within `LOAD_REPORT_GAP_MS`, so that it counts what other Cores placed here before its
   * next periodic report.
   */
  loadChanged(): void {
    const channel = this.#channel;
    if (channel === undefined || this.#soonTimer !== undefined) return;
    const wait = this.#lastReportAt + LOAD_REPORT_GAP_MS - Date.now();
    if (wait <= 0) {
      this.#report(channel);
      return;
    }
    this.#soonTimer = setTimeout(() => {
      this.#soonTimer = undefined;
      if (this.#channel === channel) this.#report(channel);
    }, wait);
    this.#soonTimer.unref();
  }

  #onMessage(channel: WorkerChannel, message: CoreOperationMessage): void {
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
      case 'cancel':
        this.#onCancel(channel, message.id);
        return;
      case 'code_reply':
        this.#onCodeReply(message);
        return;
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
    const inFlight: InFlight = { controller: new AbortController(), started: false, dropped: false };
    this.#inFlight.set(id, inFlight);
    try {
      const request = {
        module,
        name,
        hash,
        capacityMiB,
        input,
        timeoutMs,
        chainDepth: message.chainDepth,
        signal: inFlight.controller.signal,
        onStart: () => (inFlight.started = true),
      };
      let outcome = await this.ctx.runtime.invoke(request);
      if (outcome.type === 'missing') {
        // A late joiner or a lost cache: one transfer, stored and kept from then on.
        await this.#fetchCode({ module, name, hash });
        outcome = await this.ctx.runtime.invoke(request);
        if (outcome.type === 'missing') {
          throw new FlError(ErrorCode.NotFound, `function ${module}/${name} changed while it was starting`);
        }
      }
      const answer: ResultMessage = {
        type: 'result',
        id,
        result: outcome.result,
        durationMs: outcome.durationMs,
      };
      // What the guest printed goes with its answer, and only when there is some.
      if (outcome.logs.length > 0) answer.logs = outcome.logs;
      if (outcome.logsTruncated) answer.logsTruncated = true;
      this.#send(channel, answer);
    } catch (error) {
      if (inFlight.dropped) return;
      const failure: InvokeErrorMessage = { type: 'invoke_error', id, error: payload(error) };
      // A guest that ran and failed: its time and the lines it printed before its end.
      if (error instanceof InvocationError) {
        failure.durationMs = error.durationMs;
        if (error.logs.length > 0) failure.logs = error.logs;
        if (error.logsTruncated) failure.logsTruncated = true;
      }
      this.#send(channel, failure);
    } finally {
      if (this.#inFlight.get(id) === inFlight) this.#inFlight.delete(id);
      this.#reservedMiB -= capacityMiB;
      this.ctx.finished(capacityMiB);
    }
  }

  /**
   * The Core gave up on invocation `id`. Not started yet (queued, compiling or waiting for its code):
   * it is dropped now, synchronously, so it never reaches a thread, and the answer says so. Started
   * (or already answered): it runs to its own end; the answer says it started.
   */
  #onCancel(channel: WorkerChannel, id: number): void {
    const inFlight = this.#inFlight.get(id);
    const started = !inFlight || inFlight.started;
    if (inFlight && !started) {
      inFlight.dropped = true;
      this.#inFlight.delete(id);
      inFlight.controller.abort(
        new FlError(ErrorCode.Timeout, 'the Core stopped waiting before the invocation started'),
      );
    }
    this.#send(channel, { type: 'cancel_reply', id, started });
  }

  /**
   * The link closed: the Core has failed this connection's invocations (worker_lost), so those that
   * have not started are dropped rather than run for nobody.
   */
  #dropWaiting(): void {
    const reason = new FlError(ErrorCode.WorkerLost, `the link to ${this.url} closed before it started`);
    for (const [id, inFlight] of this.#inFlight) {
      if (inFlight.started) continue;
      inFlight.dropped = true;
      this.#inFlight.delete(id);
      inFlight.controller.abort(reason);
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
    const channel = this.#link.channel;
    if (!channel) {
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

  #report(channel: WorkerChannel): void {
    this.#lastReportAt = Date.now();
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

  /** Stops for good: no reconnection; pending code requests fail. */
  close(): void {
    clearInterval(this.#reportTimer);
    clearTimeout(this.#soonTimer);
    this.#failPending(new FlError(ErrorCode.WorkerLost, 'Worker shutting down'));
    this.#link.close();
  }
}

function payload(error: unknown): ErrorPayload {
  if (error instanceof FlError) return error.toPayload();
  return { code: ErrorCode.Internal, message: error instanceof Error ? error.message : String(error) };
}

function refKey(ref: { module: string; name: string; hash: string }): string {
  return `${ref.module}/${ref.name}/${ref.hash}`;
}
