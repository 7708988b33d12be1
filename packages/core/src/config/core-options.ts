import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';

import { ConfigError, LOG_LEVELS } from '@funless/protocol';
import type { LogLevel } from '@funless/protocol';

// Every process takes the same levels (FL_LOG_LEVEL); re-exported for embedders of the Core.
export { LOG_LEVELS };
export type { LogLevel };

/** How the Core is configured. Every field is optional; `resolveCoreOptions` fills in the defaults. */
export interface CoreOptions {
  /** TCP port of the REST API; 0 picks a free port. @default 4000 */
  port?: number;
  /** Address the REST API binds to. @default '127.0.0.1' */
  host?: string;
  /**
   * Directory for the SQLite file and the first-start `tokens` file; created if missing.
   * @default '.funless' under the current directory
   */
  dataDir?: string;
  /** `postgres://…` URL: use PostgreSQL instead of SQLite. @default undefined (SQLite) */
  databaseUrl?: string;
  /** Presets the admin token (at least 16 characters). @default undefined (a random token) */
  adminToken?: string;
  /**
   * A token that may read `GET /metrics` and nothing else (what Prometheus sends as its bearer
   * token), besides the admin token; at least 16 characters. @default undefined (the admin token only)
   */
  metricsToken?: string;
  /** Largest request body accepted, in bytes (function uploads included). @default 62_914_560 (60 MiB) */
  bodyLimitBytes?: number;
  /** Time limit of one invocation, in ms, passed to the cluster. @default 60_000 */
  invokeTimeoutMs?: number;
  /**
   * How deep functions may call functions through the API: an invocation whose request says it is
   * deeper (`X-Fl-Chain-Depth`, which Workers set on their functions' outbound requests) is refused
   * with 508 `chain_too_deep` before anything runs. 0 refuses every call from a function.
   * @default 8
   */
  maxChainDepth?: number;
  /** pino log level. @default 'info' */
  logLevel?: LogLevel;
  /** Wait at most this long, in ms, for in-flight requests on shutdown. @default 10_000 */
  shutdownTimeoutMs?: number;
  /**
   * Time a client has to send one whole request, headers and body, in ms; a slower one gets a 408
   * and its connection is closed. It does not limit the answer (an invocation runs under
   * `invokeTimeoutMs`). @default 300_000 (a 60 MiB upload at 200 KiB/s)
   */
  requestTimeoutMs?: number;
  /** Time a client has to send a request's headers, in ms (at most `requestTimeoutMs`). @default 30_000 */
  headersTimeoutMs?: number;
  /**
   * Days a finished activation record is kept; 0 turns recording off (docs/activations.md).
   * @default 7
   */
  activationRetentionDays?: number;
  /** Most finished activation records kept; 0 turns recording off. @default 100_000 */
  activationMax?: number;
  /**
   * Asynchronous invocations this Core holds waiting to run; one more is refused with 503.
   * @default 1_000
   */
  asyncQueueMax?: number;
  /** Asynchronous invocations this Core runs at once; the others wait in the queue. @default 16 */
  asyncConcurrency?: number;
  /**
   * Invocations started by events (MQTT, NATS, schedules) this Core runs at once, sink deliveries
   * included; a message beyond waits unacknowledged at its broker (docs/events.md). @default 16
   */
  eventConcurrency?: number;
  /** Time limit of one attempt at delivering a result to a sink, in ms. @default 10_000 */
  sinkTimeoutMs?: number;
  /**
   * PEM file of the certificate (and its chain) the Core serves HTTPS with, the Worker link then
   * being `wss://` on the same port. Both `tlsCertFile` and `tlsKeyFile`, or neither.
   * @default undefined (plain HTTP)
   */
  tlsCertFile?: string;
  /** PEM file of the private key of `tlsCertFile`. @default undefined */
  tlsKeyFile?: string;
}

/** The certificate and key the Core serves HTTPS with, read and checked at start. */
export interface CoreTls {
  cert: Buffer;
  key: Buffer;
}

type OptionalCoreOptions = 'databaseUrl' | 'adminToken' | 'metricsToken' | 'tlsCertFile' | 'tlsKeyFile';

/** `CoreOptions` with every field decided. */
export interface ResolvedCoreOptions extends Required<Omit<CoreOptions, OptionalCoreOptions>> {
  databaseUrl: string | undefined;
  adminToken: string | undefined;
  metricsToken: string | undefined;
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  /** Read from `tlsCertFile` and `tlsKeyFile`; undefined for plain HTTP. */
  tls: CoreTls | undefined;
}

/** Defaults of `CoreOptions` (except `dataDir`, which depends on the current directory). */
export const DEFAULT_CORE_OPTIONS = {
  port: 4000,
  host: '127.0.0.1',
  bodyLimitBytes: 60 * 1024 * 1024,
  invokeTimeoutMs: 60_000,
  maxChainDepth: 8,
  logLevel: 'info',
  shutdownTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  headersTimeoutMs: 30_000,
  activationRetentionDays: 7,
  activationMax: 100_000,
  asyncQueueMax: 1_000,
  asyncConcurrency: 16,
  eventConcurrency: 16,
  sinkTimeoutMs: 10_000,
} as const satisfies Partial<CoreOptions>;

/** The default data directory: `.funless` under the current directory. */
export function defaultDataDir(): string {
  return resolve(process.cwd(), '.funless');
}

function integer(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A token set by configuration: at least 16 characters, no whitespace (it travels in a header). */
function bearerToken(name: string, value: unknown): string {
  const token = nonEmptyString(name, value);
  if (token.length < 16 || /\s/.test(token)) {
    throw new ConfigError(`${name} must be at least 16 characters with no whitespace`);
  }
  return token;
}

/** Reads and checks the certificate and key files (both named, as the user typed them). */
function readTls(certFile: string, keyFile: string, certName: string, keyName: string): CoreTls {
  const read = (name: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${name}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  const tls = { cert: read(certName, certFile), key: read(keyName, keyFile) };
  try {
    createSecureContext(tls);
  } catch (error) {
    throw new ConfigError(
      `${certName} (${certFile}) and ${keyName} (${keyFile}) must be a PEM certificate and its private key: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return tls;
}

/**
 * Validates `options` once and merges them over the defaults. Throws `ConfigError` naming the
 * first bad option. `names` maps option keys to the names the user typed (e.g. environment
 * variables) so that the message names what they can fix.
 */
export function resolveCoreOptions(
  options: CoreOptions = {},
  names: Partial<Record<keyof CoreOptions, string>> = {},
): ResolvedCoreOptions {
  const n = (key: keyof CoreOptions): string => names[key] ?? key;
  const o = { ...options };
  const resolved: ResolvedCoreOptions = {
    port: integer(n('port'), o.port ?? DEFAULT_CORE_OPTIONS.port, 0, 65_535),
    host: nonEmptyString(n('host'), o.host ?? DEFAULT_CORE_OPTIONS.host),
    dataDir: resolve(nonEmptyString(n('dataDir'), o.dataDir ?? defaultDataDir())),
    databaseUrl: undefined,
    adminToken: undefined,
    metricsToken: undefined,
    tlsCertFile: undefined,
    tlsKeyFile: undefined,
    tls: undefined,
    // A 50 MiB binary plus multipart framing must fit: 1 MiB is the floor.
    bodyLimitBytes: integer(
      n('bodyLimitBytes'),
      o.bodyLimitBytes ?? DEFAULT_CORE_OPTIONS.bodyLimitBytes,
      1024 * 1024,
      2 ** 31 - 1,
    ),
    invokeTimeoutMs: integer(
      n('invokeTimeoutMs'),
      o.invokeTimeoutMs ?? DEFAULT_CORE_OPTIONS.invokeTimeoutMs,
      1,
      24 * 3600 * 1000,
    ),
    maxChainDepth: integer(
      n('maxChainDepth'),
      o.maxChainDepth ?? DEFAULT_CORE_OPTIONS.maxChainDepth,
      0,
      1000,
    ),
    logLevel: DEFAULT_CORE_OPTIONS.logLevel,
    shutdownTimeoutMs: integer(
      n('shutdownTimeoutMs'),
      o.shutdownTimeoutMs ?? DEFAULT_CORE_OPTIONS.shutdownTimeoutMs,
      0,
      3600 * 1000,
    ),
    requestTimeoutMs: integer(
      n('requestTimeoutMs'),
      o.requestTimeoutMs ?? DEFAULT_CORE_OPTIONS.requestTimeoutMs,
      1,
      24 * 3600 * 1000,
    ),
    headersTimeoutMs: 0,
    activationRetentionDays: integer(
      n('activationRetentionDays'),
      o.activationRetentionDays ?? DEFAULT_CORE_OPTIONS.activationRetentionDays,
      0,
      100 * 365,
    ),
    activationMax: integer(
      n('activationMax'),
      o.activationMax ?? DEFAULT_CORE_OPTIONS.activationMax,
      0,
      1_000_000_000,
    ),
    asyncQueueMax: integer(
      n('asyncQueueMax'),
      o.asyncQueueMax ?? DEFAULT_CORE_OPTIONS.asyncQueueMax,
      1,
      1_000_000,
    ),
    asyncConcurrency: integer(
      n('asyncConcurrency'),
      o.asyncConcurrency ?? DEFAULT_CORE_OPTIONS.asyncConcurrency,
      1,
      10_000,
    ),
    eventConcurrency: integer(
      n('eventConcurrency'),
      o.eventConcurrency ?? DEFAULT_CORE_OPTIONS.eventConcurrency,
      1,
      10_000,
    ),
    sinkTimeoutMs: integer(
      n('sinkTimeoutMs'),
      o.sinkTimeoutMs ?? DEFAULT_CORE_OPTIONS.sinkTimeoutMs,
      1,
      3600 * 1000,
    ),
  };
  // node:http requires the headers to be due no later than the whole request.
  resolved.headersTimeoutMs = integer(
    n('headersTimeoutMs'),
    o.headersTimeoutMs ?? Math.min(DEFAULT_CORE_OPTIONS.headersTimeoutMs, resolved.requestTimeoutMs),
    1,
    resolved.requestTimeoutMs,
  );
  if (o.logLevel !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(o.logLevel)) {
      throw new ConfigError(
        `${n('logLevel')} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(o.logLevel)}`,
      );
    }
    resolved.logLevel = o.logLevel;
  }
  if (o.databaseUrl !== undefined) {
    const url = nonEmptyString(n('databaseUrl'), o.databaseUrl);
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError(`${n('databaseUrl')} must be a postgres:// or postgresql:// URL`);
    }
    resolved.databaseUrl = url;
  }
  if (o.adminToken !== undefined) resolved.adminToken = bearerToken(n('adminToken'), o.adminToken);
  if (o.metricsToken !== undefined) resolved.metricsToken = bearerToken(n('metricsToken'), o.metricsToken);
  if (o.tlsCertFile !== undefined || o.tlsKeyFile !== undefined) {
    const [cert, key] = [n('tlsCertFile'), n('tlsKeyFile')];
    if (o.tlsCertFile === undefined || o.tlsKeyFile === undefined) {
      const [given, missing] = o.tlsCertFile === undefined ? [key, cert] : [cert, key];
      throw new ConfigError(
        `${given} is set but ${missing} is not: set both (the certificate and its private key, PEM files) or neither`,
      );
    }
    resolved.tlsCertFile = resolve(nonEmptyString(cert, o.tlsCertFile));
    resolved.tlsKeyFile = resolve(nonEmptyString(key, o.tlsKeyFile));
    resolved.tls = readTls(resolved.tlsCertFile, resolved.tlsKeyFile, cert, key);
  }
  return resolved;
}
