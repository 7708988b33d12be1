import { join } from 'node:path';

import {
  capacityPages,
  codeHash,
  compileFunction,
  ErrorCode,
  FlError,
  MAX_CAPACITY_MIB,
  MIB,
  NAME_MAX_LENGTH,
  NAME_PATTERN,
  NAME_RULE,
  WASM_PAGE_BYTES,
} from '@funless/protocol';

import { CodeCache } from './cache/code-cache.js';
import { LruCache } from './cache/lru-cache.js';
import {
  analyseModule,
  prepareModule,
  type AnalysedModule,
  type ModuleMeta,
} from './module/analyse-module.js';
import { WARM_UP_MODULE } from './module/warm-up-module.js';
import { InvocationError } from './invocation-error.js';
import { ThreadPool } from './pool/thread-pool.js';
import {
  resolveRuntimeOptions,
  type ResolvedRuntimeOptions,
  type RuntimeOptions,
} from './runtime-options.js';
import type { FunctionCode, FunctionRef, InvokeOutcome, InvokeRequest, RuntimeStats } from './types.js';

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const MISSING = { type: 'missing' } as const;

interface Compiled {
  module: WebAssembly.Module;
  meta: ModuleMeta;
}

function badRequest(message: string): FlError {
  return new FlError(ErrorCode.BadRequest, message);
}

function checkRef(ref: FunctionRef): void {
  if (typeof ref !== 'object' || ref === null) throw badRequest('a function reference must be an object');
  for (const field of ['module', 'name'] as const) {
    const value = ref[field];
    if (typeof value !== 'string' || !NAME_PATTERN.test(value) || value.length > NAME_MAX_LENGTH) {
      throw badRequest(`${field} ${JSON.stringify(value)} is not a valid name: ${NAME_RULE}`);
    }
  }
  if (typeof ref.hash !== 'string' || !HASH_PATTERN.test(ref.hash)) {
    throw badRequest(`hash ${JSON.stringify(ref.hash)} is not a lowercase hex SHA-256`);
  }
}

/**
 * The Worker's execution engine: caches function binaries (disk) and compiled modules (memory),
 * and runs invocations in a pool of threads with time and memory limits, in isolation.
 */
export class Runtime {
  private readonly compiled: LruCache<string, Compiled>;
  private readonly compiling = new Map<string, Promise<Compiled>>();
  /** Analyses by hash, so that a module is parsed once however many capacities it runs with. */
  private readonly analysed: LruCache<string, AnalysedModule>;
  private closed = false;

  private constructor(
    readonly options: ResolvedRuntimeOptions,
    private readonly code: CodeCache,
    private readonly pool: ThreadPool,
  ) {
    this.compiled = new LruCache(options.compiledCacheSize);
    this.analysed = new LruCache(options.compiledCacheSize);
  }

  /**
   * Validates the options and opens the code cache under `<dataDir>/code/`. Threads start on demand;
   * when the cache already holds functions, one is started now (and waited for), so that the first
   * invocation after a restart does not pay for it.
   */
  static async create(options: RuntimeOptions): Promise<Runtime> {
    const resolved = resolveRuntimeOptions(options);
    const code = await CodeCache.open(join(resolved.dataDir, 'code'));
    const pool = new ThreadPool(resolved);
    await WebAssembly.compile(WARM_UP_MODULE);
    try {
      if (code.list().length > 0) await pool.warm();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return new Runtime(resolved, code, pool);
  }

  /**
   * Validates a function's code, compiles it (for the default capacity) and writes it to the disk
   * cache, replacing the function's previous version: that version's compiled modules leave the
   * memory cache and every thread (unless another function has the same code). Rejects with
   * `bad_request` (names, hash that does not match the code) or `invalid_module`. The one way code
   * enters the runtime.
   */
  async store(fn: FunctionCode): Promise<void> {
    this.checkOpen();
    checkRef(fn);
    if (!(fn.code instanceof Uint8Array)) throw badRequest('code must be a Uint8Array');
    const actual = codeHash(fn.code);
    if (actual !== fn.hash)
      throw badRequest(`the code's SHA-256 is ${actual}, not the hash ${fn.hash} it came with`);
    const analysed = analyseModule(fn.code);
    this.analysed.set(fn.hash, analysed);
    // Compile now: a broken module is refused here, not at its first invocation.
    const capacity = Math.max(64, Math.ceil((analysed.meta.initialPages * WASM_PAGE_BYTES) / MIB));
    await this.compile(fn.hash, capacity, fn.code);
    const replaced = await this.code.write(fn, fn.code);
    if (replaced !== undefined) this.forget(replaced);
    // The function will run: start a thread for it now rather than on its first call. Not awaited: a
    // thread that cannot start fails the invocations, which say why.
    this.pool.warm().catch(() => {});
  }

  /** Starts an invocation thread if none runs yet; resolves when one is ready. */
  warm(): Promise<void> {
    this.checkOpen();
    return this.pool.warm();
  }

  /** True when the runtime holds this exact version of the function. */
  has(ref: FunctionRef): boolean {
    return this.code.has(ref);
  }

  /** Every function the disk cache holds (what a Worker reports to the Core after a restart). */
  list(): FunctionRef[] {
    return this.code.list();
  }

  /** Forgets the function if, and only if, it is held at version `ref.hash`. */
  async drop(ref: FunctionRef): Promise<boolean> {
    checkRef(ref);
    const dropped = await this.code.drop(ref);
    if (dropped) this.forget(ref.hash);
    return dropped;
  }

  /** Evicts what was compiled from `hash` (memory cache, every thread), unless a function still uses it. */
  private forget(hash: string): void {
    if (this.code.usesHash(hash)) return;
    for (const k of [...this.compiled.keys()]) if (k.startsWith(`${hash}/`)) this.compiled.delete(k);
    this.analysed.delete(hash);
    this.pool.evictHash(hash);
  }

  /**
   * Runs one invocation. Resolves with the guest's raw JSON result, or `{ type: 'missing' }` when
   * the runtime does not hold this version of the function (`store` it and invoke again); rejects
   * with an {@link InvocationError} (or `FlError` for bad requests) whose `code` says what went
   * wrong.
   */
  async invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    this.checkOpen();
    checkRef(req);
    const capacity = req.capacityMiB;
    if (
      typeof capacity !== 'number' ||
      !Number.isInteger(capacity) ||
      capacity < 1 ||
      capacity > MAX_CAPACITY_MIB
    ) {
      throw badRequest(
        `capacityMiB must be an integer from 1 to ${MAX_CAPACITY_MIB}, got ${JSON.stringify(capacity)}`,
      );
    }
    const timeoutMs = req.timeoutMs ?? this.options.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1) {
      throw badRequest(
        `timeoutMs must be a positive integer of milliseconds, got ${JSON.stringify(req.timeoutMs)}`,
      );
    }
    const chainDepth = req.chainDepth ?? 0;
    if (!Number.isSafeInteger(chainDepth) || chainDepth < 0) {
      throw badRequest(`chainDepth must be a non-negative integer, got ${JSON.stringify(req.chainDepth)}`);
    }
    const input = req.input;
    if (!(input instanceof Uint8Array)) throw badRequest('input must be the JSON bytes of the args');
    if (input.byteLength > this.options.maxInputBytes) {
      throw new FlError(
        ErrorCode.TooLarge,
        `the input of ${input.byteLength} bytes is larger than the input limit of ${this.options.maxInputBytes} bytes`,
      );
    }
    const compiled = await this.compiledFor(req, capacity);
    if (!compiled) return MISSING;
    const pages = capacityPages(capacity);
    const reply = await this.pool.run({
      key: `${req.hash}/${pages}`,
      module: compiled.module,
      meta: compiled.meta,
      capBytes: pages * WASM_PAGE_BYTES,
      input,
      timeoutMs,
      chainDepth,
      signal: req.signal,
      onStart: req.onStart,
    });
    // Replaced or dropped while it ran: what this run compiled or loaded must not stay behind.
    if (!this.code.has(req)) this.forget(req.hash);
    if (reply.error) throw new InvocationError(reply.error, reply, reply.durationMs);
    return {
      type: 'result',
      result: reply.result!,
      logs: reply.logs,
      logsTruncated: reply.logsTruncated,
      durationMs: reply.durationMs,
    };
  }

  /** Threads, busy threads and queued invocations, for resource reports. */
  stats(): RuntimeStats {
    return { ...this.pool.stats(), compiled: this.compiled.size };
  }

  /** Stops the threads; pending invocations fail. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
    this.compiled.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw new FlError(ErrorCode.Internal, 'the runtime is closed');
  }

  /** The module compiled for this version and capacity; undefined when the version is not held. */
  private async compiledFor(req: InvokeRequest, capacity: number): Promise<Compiled | undefined> {
    // The function must be held at this hash, even when the code is compiled for another function.
    if (!this.code.has(req)) return undefined;
    const key = `${req.hash}/${capacityPages(capacity)}`;
    const hit = this.compiled.get(key);
    if (hit) return hit;
    const inFlight = this.compiling.get(key);
    if (inFlight) return inFlight;
    const bytes = await this.code.read(req);
    if (!bytes) return undefined;
    return this.compile(req.hash, capacity, bytes);
  }

  /** Compiles once per (hash, capacity), sharing the promise with concurrent callers. */
  private compile(hash: string, capacity: number, bytes: Uint8Array): Promise<Compiled> {
    const key = `${hash}/${capacityPages(capacity)}`;
    const hit = this.compiled.get(key);
    if (hit) return Promise.resolve(hit);
    let promise = this.compiling.get(key);
    if (promise) return promise;
    promise = (async () => {
      let analysed = this.analysed.get(hash);
      if (!analysed) {
        analysed = analyseModule(bytes);
        this.analysed.set(hash, analysed);
      }
      const module = await compileFunction(prepareModule(bytes, analysed, capacity));
      const compiled = { module, meta: analysed.meta };
      this.compiled.set(key, compiled);
      return compiled;
    })().finally(() => this.compiling.delete(key));
    this.compiling.set(key, promise);
    return promise;
  }
}
