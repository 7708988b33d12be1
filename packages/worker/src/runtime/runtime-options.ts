import { availableParallelism } from 'node:os';

import { ConfigError, envInt, INVOCATION_LIMITS, MAX_LOG_BYTES, MIB } from '@funless/protocol';

import { parseCidr } from './http/address-policy.js';

/** Outbound HTTP from guests (`__http_request`). */
export interface HttpOptions {
  /** Turn outbound HTTP on or off; off answers every request with status 0. @default true */
  enabled: boolean;
  /**
   * Where a guest may connect. Empty: any host whose address is public (loopback, private,
   * link-local, multicast and other reserved addresses refused). Otherwise only what is listed:
   * host names (`api.example.com`), `host:port`, `*.example.com` for subdomains — a listed host
   * at whatever address it has, private ones included — and CIDR ranges (`10.1.0.0/16`,
   * `fd00::/8`) of addresses. See docs/runtime.md, "Where functions may connect". @default []
   */
  allowList: string[];
  /** Time limit of one request, in ms (also bounded by the invocation's own limit). @default 10_000 */
  timeoutMs: number;
  /** Largest response body handed to a guest, in bytes; larger ones fail with status 0. @default 1 MiB */
  maxResponseBytes: number;
}

/** Settings of a {@link Runtime}. Every field but `dataDir` is optional and merged over the defaults. */
export interface RuntimeOptions {
  /** Directory of the Worker's data; binaries are cached under `<dataDir>/code/`. */
  dataDir: string;
  /** Most invocation threads; they start on demand and then stay. @default CPU count (`os.availableParallelism()`) */
  threads?: number;
  /**
   * Most threads in all, counting those whose guest waits for an outbound HTTP answer: such a
   * thread does not count against `threads`, so that a function calling another function (through
   * the Core's API) does not hold the thread the callee needs; the threads started beyond `threads`
   * end once idle. At least `threads`. @default threads + 32 (`FL_WORKER_MAX_THREADS`)
   */
  maxThreads?: number;
  /**
   * Invocations waiting while every thread is busy beyond which `invoke` fails with `overloaded`
   * (those waiting for a thread that is starting do not count). @default 1_000
   */
  queueLimit?: number;
  /** Time limit of an invocation that names none, in ms. @default 60_000 (`FL_INVOKE_TIMEOUT_MS`) */
  defaultTimeoutMs?: number;
  /** Largest JSON input, in bytes (UTF-8). @default 6 MiB (`INVOCATION_LIMITS.maxInputBytes`) */
  maxInputBytes?: number;
  /**
   * Largest result (or stdout of a WASI command), in bytes; a larger one fails the invocation with
   * `result_too_large`. @default 6 MiB (`INVOCATION_LIMITS.maxResultBytes`)
   */
  maxOutputBytes?: number;
  /**
   * Log bytes kept per invocation, each line its UTF-8 text plus 5 bytes; the first line beyond
   * ends the capture and sets `logsTruncated`. @default 64 KiB (`MAX_LOG_BYTES`)
   */
  maxLogBytes?: number;
  /** Outbound HTTP; see {@link HttpOptions}. */
  http?: Partial<HttpOptions>;
  /** Compiled modules kept in memory, per (hash, capacity). @default 64 */
  compiledCacheSize?: number;
  /**
   * How long a thread that finished a task polls for the next one before it sleeps, in µs (0: sleep
   * at once). Waking a sleeping thread costs tens of µs on virtual machines; a task that follows
   * within this window skips it. A thread polls only when its task was the only one running or
   * queued, a CPU is free, and its last poll did not come up empty (else it skips the next 32
   * tasks): under load or with calls far apart it does not poll at all. @default 50
   */
  idleSpinUs?: number;
  /**
   * A thread idle this long ends, giving its memory back, unless it is the last one (0: threads
   * never end), in ms. @default 60_000
   */
  threadIdleMs?: number;
}

/** Options after validation and merging. */
export interface ResolvedRuntimeOptions extends Required<Omit<RuntimeOptions, 'http'>> {
  http: HttpOptions;
}

/** Threads a runtime may start beyond `threads` while guests wait for HTTP answers, by default. */
export const DEFAULT_EXTRA_THREADS = 32;

export const DEFAULT_RUNTIME_OPTIONS: Omit<ResolvedRuntimeOptions, 'dataDir' | 'threads' | 'maxThreads'> = {
  queueLimit: 1_000,
  defaultTimeoutMs: 60_000,
  maxInputBytes: INVOCATION_LIMITS.maxInputBytes,
  maxOutputBytes: INVOCATION_LIMITS.maxResultBytes,
  maxLogBytes: MAX_LOG_BYTES,
  compiledCacheSize: 64,
  idleSpinUs: 50,
  threadIdleMs: 60_000,
  http: { enabled: true, allowList: [], timeoutMs: 10_000, maxResponseBytes: MIB },
};

function bad(message: string): ConfigError {
  return new ConfigError(`runtime options: ${message}`);
}

function positiveInt(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw bad(`${name} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function idleMs(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw bad(
      `threadIdleMs must be a whole number of ms from 0 to ${2 ** 31 - 1}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function spinUs(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 10_000) {
    throw bad(`idleSpinUs must be an integer from 0 to 10000, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates options and merges them over {@link DEFAULT_RUNTIME_OPTIONS}. Throws `ConfigError` naming the option. */
export function resolveRuntimeOptions(options: RuntimeOptions): ResolvedRuntimeOptions {
  if (typeof options !== 'object' || options === null) throw bad('options must be an object');
  if (typeof options.dataDir !== 'string' || options.dataDir === '') {
    throw bad('dataDir must be a non-empty path');
  }
  const d = DEFAULT_RUNTIME_OPTIONS;
  const http = { ...d.http, ...options.http };
  if (typeof http.enabled !== 'boolean') throw bad(`http.enabled must be a boolean`);
  if (
    !Array.isArray(http.allowList) ||
    http.allowList.some((h) => typeof h !== 'string' || h.trim() === '')
  ) {
    throw bad('http.allowList must be a list of host names and CIDR ranges');
  }
  for (const entry of http.allowList) {
    try {
      parseCidr(entry.trim());
    } catch (err) {
      throw bad(`http.allowList: ${(err as Error).message}`);
    }
  }
  const threads = positiveInt('threads', options.threads ?? availableParallelism(), 256);
  const maxThreads = positiveInt('maxThreads', options.maxThreads ?? threads + DEFAULT_EXTRA_THREADS, 1024);
  if (maxThreads < threads) {
    throw bad(`maxThreads (${maxThreads}) must be at least threads (${threads})`);
  }
  return {
    dataDir: options.dataDir,
    threads,
    maxThreads,
    queueLimit: positiveInt('queueLimit', options.queueLimit ?? d.queueLimit),
    defaultTimeoutMs: positiveInt(
      'defaultTimeoutMs',
      options.defaultTimeoutMs ?? d.defaultTimeoutMs,
      2 ** 31 - 1,
    ),
    maxInputBytes: positiveInt('maxInputBytes', options.maxInputBytes ?? d.maxInputBytes),
    maxOutputBytes: positiveInt('maxOutputBytes', options.maxOutputBytes ?? d.maxOutputBytes),
    maxLogBytes: positiveInt('maxLogBytes', options.maxLogBytes ?? d.maxLogBytes),
    compiledCacheSize: positiveInt('compiledCacheSize', options.compiledCacheSize ?? d.compiledCacheSize),
    idleSpinUs: spinUs(options.idleSpinUs ?? d.idleSpinUs),
    threadIdleMs: idleMs(options.threadIdleMs ?? d.threadIdleMs),
    http: {
      enabled: http.enabled,
      allowList: http.allowList.map((h) => h.trim().toLowerCase()),
      timeoutMs: positiveInt('http.timeoutMs', http.timeoutMs, 2 ** 31 - 1),
      maxResponseBytes: positiveInt('http.maxResponseBytes', http.maxResponseBytes, 1024 * MIB),
    },
  };
}

/** The environment variable behind each runtime option `runtimeOptionsFromEnv` reads. */
export const RUNTIME_ENV_VARIABLES = {
  dataDir: 'FL_DATA_DIR',
  defaultTimeoutMs: 'FL_INVOKE_TIMEOUT_MS',
  threads: 'FL_WORKER_THREADS',
  maxThreads: 'FL_WORKER_MAX_THREADS',
  threadIdleMs: 'FL_WORKER_THREAD_IDLE_MS',
  idleSpinUs: 'FL_WORKER_IDLE_SPIN_US',
  httpEnabled: 'FL_HTTP',
  httpAllowList: 'FL_HTTP_ALLOW',
} as const;

/**
 * Reads the runtime's environment variables (all optional):
 * - `FL_INVOKE_TIMEOUT_MS`: default time limit of an invocation, ms (60000);
 * - `FL_WORKER_THREADS`: invocation threads (CPU count);
 * - `FL_WORKER_MAX_THREADS`: threads in all, with those waiting for an outbound HTTP answer
 *   (`FL_WORKER_THREADS` + 32);
 * - `FL_HTTP`: `on` or `off`, outbound HTTP from guests (on);
 * - `FL_HTTP_ALLOW`: comma-separated hosts and CIDR ranges guests may reach (empty: public addresses);
 * - `FL_WORKER_IDLE_SPIN_US`: µs a thread polls for its next task before sleeping (50; 0: never);
 * - `FL_WORKER_THREAD_IDLE_MS`: ms an idle thread lives on, the last one excepted (60000; 0: ever);
 * - `FL_DATA_DIR`: the data directory (binaries go to `<dir>/code/`); no default here, the
 *   Worker process defaults it to `.funless`.
 * Throws `ConfigError` naming the variable when a value is malformed.
 */
export function runtimeOptionsFromEnv(env: Record<string, string | undefined>): Partial<RuntimeOptions> {
  const out: Partial<RuntimeOptions> = {};
  const vars = RUNTIME_ENV_VARIABLES;
  const dataDir = env[vars.dataDir]?.trim();
  if (dataDir) out.dataDir = dataDir;
  const timeout = envInt(env, vars.defaultTimeoutMs, { min: 1 });
  if (timeout !== undefined) out.defaultTimeoutMs = timeout;
  const threads = envInt(env, vars.threads, { min: 1 });
  if (threads !== undefined) out.threads = threads;
  const maxThreads = envInt(env, vars.maxThreads, { min: 1, max: 1024 });
  if (maxThreads !== undefined) out.maxThreads = maxThreads;
  const idle = envInt(env, vars.threadIdleMs, { max: 2 ** 31 - 1 });
  if (idle !== undefined) out.threadIdleMs = idle;
  const spin = envInt(env, vars.idleSpinUs, { max: 10_000 });
  if (spin !== undefined) out.idleSpinUs = spin;
  const http: Partial<HttpOptions> = {};
  const flag = env[vars.httpEnabled]?.trim().toLowerCase();
  if (flag !== undefined && flag !== '') {
    if (['on', 'true', '1'].includes(flag)) http.enabled = true;
    else if (['off', 'false', '0'].includes(flag)) http.enabled = false;
    else
      throw new ConfigError(
        `${vars.httpEnabled} must be "on" or "off", got ${JSON.stringify(env[vars.httpEnabled])}`,
      );
  }
  const allow = env[vars.httpAllowList]?.trim();
  if (allow) {
    http.allowList = allow
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
  }
  if (Object.keys(http).length > 0) out.http = http;
  return out;
}
