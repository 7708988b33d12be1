import { readFileSync } from 'node:fs';
import { availableParallelism, freemem, totalmem } from 'node:os';

import {
  CLUSTER_SECRET_MIN_LENGTH,
  DEFAULT_TAG,
  ErrorCode,
  FlError,
  isWorkerName,
  isWorkerTag,
  MIB,
  WORKER_NAME_RULE,
  WORKER_TAG_RULE,
} from '@funless/protocol';
import type { LinkDialer } from '@funless/protocol';

import type { AgentLogger, AgentRuntime } from './agent-runtime.js';
import { SILENT_AGENT_LOGGER } from './agent-runtime.js';
import { CoreConnection } from './core-connection.js';
import { HostUsage } from './host-usage.js';
import type { AgentContext } from './core-connection.js';
import type { ConnectionState } from './link-connector.js';

/** Settings of a {@link WorkerAgent}. */
export interface WorkerAgentOptions {
  /** The Worker's name, what APP scripts refer to: see `WORKER_NAME_RULE`. */
  name: string;
  /** @default 'default' */
  tag?: string;
  /** The cluster secret (at least 16 characters). */
  secret: string;
  runtime: AgentRuntime;
  /** Invocations the runtime runs at once, as reported to Cores. @default CPU count */
  threads?: number;
  /** Memory offered to functions, in MiB. @default 75% of the machine's memory */
  memoryMiB?: number;
  logger?: AgentLogger;
  /** First reconnection delay, in ms; doubles per failure up to the maximum, with jitter. @default 200 */
  reconnectInitialDelayMs?: number;
  /** Longest reconnection delay, in ms. @default 10_000 */
  reconnectMaxDelayMs?: number;
  /** Time bound of a code request to a Core, in ms. @default 30_000 */
  codeRequestTimeoutMs?: number;
}

/** One Core connection as `cores()` describes it. */
export interface CoreStatus {
  url: string;
  state: ConnectionState;
  coreId: string | undefined;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new FlError(ErrorCode.BadRequest, `Worker option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/**
 * The Worker process's link side: keeps one persistent connection per Core (added and removed by
 * discovery through `addCore`/`removeCore`), and shares the runtime and the accounting of running
 * invocations between them.
 */
export class WorkerAgent {
  readonly name: string;
  readonly tag: string;
  readonly #ctx: AgentContext;
  readonly #connections = new Map<string, CoreConnection>();
  #running = 0;
  #runningMiB = 0;
  #accepting = true;
  #idleWaiters: (() => void)[] = [];

  constructor(options: WorkerAgentOptions) {
    if (!isWorkerName(options.name)) {
      throw new FlError(
        ErrorCode.BadRequest,
        `Worker name must be ${WORKER_NAME_RULE}, got ${JSON.stringify(options.name)}`,
      );
    }
    const tag = options.tag ?? DEFAULT_TAG;
    if (!isWorkerTag(tag)) {
      throw new FlError(
        ErrorCode.BadRequest,
        `Worker tag must be ${WORKER_TAG_RULE}, got ${JSON.stringify(tag)}`,
      );
    }
    if (typeof options.secret !== 'string' || options.secret.length < CLUSTER_SECRET_MIN_LENGTH) {
      throw new FlError(
        ErrorCode.BadRequest,
        `the cluster secret must be at least ${CLUSTER_SECRET_MIN_LENGTH} characters`,
      );
    }
    this.name = options.name;
    this.tag = tag;
    const totalMiB = positiveInt('memoryMiB', options.memoryMiB ?? Math.floor((totalmem() * 0.75) / MIB));
    const threads = positiveInt('threads', options.threads ?? availableParallelism());
    const initialDelayMs = positiveInt('reconnectInitialDelayMs', options.reconnectInitialDelayMs ?? 200);
    const maxDelayMs = positiveInt('reconnectMaxDelayMs', options.reconnectMaxDelayMs ?? 10_000);
    const runtime = options.runtime;
    const host = new HostUsage();
    this.#ctx = {
      name: this.name,
      tag,
      secret: options.secret,
      version: packageVersion(),
      threads,
      runtime,
      log: options.logger ?? SILENT_AGENT_LOGGER,
      reconnect: { initialDelayMs, maxDelayMs: Math.max(initialDelayMs, maxDelayMs) },
      codeRequestTimeoutMs: positiveInt('codeRequestTimeoutMs', options.codeRequestTimeoutMs ?? 30_000),
      memory: () => {
        // Never offer more than the machine has free right now, whatever is configured.
        const freeNow = Math.floor(freemem() / MIB) + this.#runningMiB;
        const free = Math.max(0, Math.min(totalMiB, freeNow) - this.#runningMiB);
        return { totalMiB, freeMiB: free, running: this.#running };
      },
      usage: () => host.sample(),
      started: (capacityMiB) => {
        this.#running++;
        this.#runningMiB += capacityMiB;
        this.#loadChanged();
      },
      finished: (capacityMiB) => {
        this.#running--;
        this.#runningMiB -= capacityMiB;
        this.#loadChanged();
        if (this.#running === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      },
      storeCode: async (fn) => {
        await runtime.store(fn);
      },
      dropCode: (module, name, hash) => this.#drop(module, name, hash),
      accepting: () => this.#accepting,
    };
  }

  /**
   * With several Cores, each one counts only what it placed: the others hear of a change of load
   * at once (within `LOAD_REPORT_GAP_MS`) instead of at the next periodic report. With one Core
   * its own count is exact, and nothing extra is sent.
   */
  #loadChanged(): void {
    if (this.#connections.size < 2) return;
    for (const connection of this.#connections.values()) connection.loadChanged();
  }

  /** Invocations running now, from every Core. */
  get running(): number {
    return this.#running;
  }

  /**
   * Opens a persistent connection to the Core at `url` (`ws://`, `http://`…, over WebSocket) or
   * that a dialer reaches (in process); no-op if one to the same URL is open.
   */
  addCore(core: string | LinkDialer): CoreConnection {
    const url = typeof core === 'string' ? core : core.url;
    let connection = this.#connections.get(url);
    if (!connection) {
      connection = new CoreConnection(core, this.#ctx);
      this.#connections.set(url, connection);
      connection.start();
    }
    return connection;
  }

  /** Closes the connection to `url` for good; false if there was none. */
  removeCore(url: string): boolean {
    const connection = this.#connections.get(url);
    if (!connection) return false;
    this.#connections.delete(url);
    connection.close();
    return true;
  }

  cores(): CoreStatus[] {
    return [...this.#connections.values()].map((c) => ({ url: c.url, state: c.state, coreId: c.coreId }));
  }

  /** Resolves once every current connection has joined its Core (for callers that must wait). */
  async joined(): Promise<void> {
    await Promise.all([...this.#connections.values()].map((c) => c.joined()));
  }

  /** Drops one version, or (without `hash`) whatever version of module/name the runtime holds. */
  async #drop(module: string, name: string, hash?: string): Promise<void> {
    const runtime = this.#ctx.runtime;
    if (hash !== undefined) {
      await runtime.drop({ module, name, hash });
      return;
    }
    for (const ref of runtime.list()) {
      if (ref.module === module && ref.name === name) await runtime.drop(ref);
    }
  }

  /**
   * Stops taking invocations (new ones are answered `worker_lost`, so the Core fails them fast)
   * and waits up to `timeoutMs` for the running ones to finish.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.#accepting = false;
    if (this.#running === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#idleWaiters.push(resolve)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  /** Closes every Core connection (no reconnection). The runtime stays its owner's to close. */
  close(): Promise<void> {
    this.#accepting = false;
    for (const connection of this.#connections.values()) connection.close();
    this.#connections.clear();
    return Promise.resolve();
  }
}
