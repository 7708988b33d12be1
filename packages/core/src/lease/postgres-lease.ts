import { ConfigError } from '@funless/protocol';
import type pg from 'pg';
import type { Logger } from 'pino';

import { newDedicatedClient } from '../store/dedicated-client.js';
import type { ClusterLease, LeaseRegistration, LeasedTask } from './cluster-lease.js';
import { LeaseBook } from './lease-book.js';

export interface PostgresLeaseOptions {
  /** The database the Cores share (`FL_DATABASE_URL`). */
  databaseUrl: string;
  /**
   * Time between two attempts to take the names this Core does not own, and between two checks
   * that its session (which holds the locks) is alive, in ms: how long a name stays without an
   * owner after its owner died, at most, beyond the database noticing the death. @default 1_000
   */
  retryMs?: number;
  /** Longest a connect or a lock query may take before the session counts as lost, in ms. @default 5_000 */
  queryTimeoutMs?: number;
}

export const DEFAULT_POSTGRES_LEASE_OPTIONS = { retryMs: 1_000, queryTimeoutMs: 5_000 } as const;

/** Logged at most this often while the database is unreachable, in ms. */
const WARN_EVERY_MS = 10_000;

/**
 * Once-per-cluster ownership on PostgreSQL: each name is a session-level advisory lock (keyed by
 * the schema and the name, so that several installations may share one database), held by one
 * dedicated connection per Core. When the owner dies or loses its connection, PostgreSQL releases
 * its locks and another Core takes them at its next attempt; a Core that loses its connection
 * stops its tasks at once, before it could know whether another took over.
 */
export class PostgresLease implements ClusterLease {
  readonly kind = 'postgres' as const;
  readonly #book: LeaseBook;
  readonly #log: Logger;
  readonly #options: Required<PostgresLeaseOptions>;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #lastWarning = 0;

  constructor(options: PostgresLeaseOptions, logger: Logger) {
    const o = { ...DEFAULT_POSTGRES_LEASE_OPTIONS, ...options };
    for (const key of ['retryMs', 'queryTimeoutMs'] as const) {
      if (!Number.isSafeInteger(o[key]) || o[key] < 1) {
        throw new ConfigError(
          `cluster lease option ${key} must be a positive integer, got ${String(o[key])}`,
        );
      }
    }
    this.#options = o;
    this.#log = logger;
    this.#book = new LeaseBook(logger);
    this.#book.onRemove = (name) => this.#release(name);
  }

  run(name: string, task: LeasedTask): LeaseRegistration {
    const registration = this.#book.add(name, task);
    this.#schedule(0);
    return registration;
  }

  isOwner(name: string): boolean {
    return this.#book.owns(name);
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#book.closeAll();
    await this.#ticking;
    this.#drop();
  }

  #schedule(delayMs: number): void {
    if (this.#book.closed || this.#ticking) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = undefined;
        this.#schedule(this.#options.retryMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** One attempt: connect if needed, take what is not owned, else check that the session lives. */
  async #tick(): Promise<void> {
    try {
      const client = this.#client ?? (await this.#connect());
      let tried = false;
      for (const name of this.#book.names) {
        if (this.#book.owns(name) || this.#book.closed) continue;
        tried = true;
        const { rows } = await client.query<{ locked: boolean }>(
          'select pg_try_advisory_lock(hashtext(current_schema()), hashtext($1)) as locked',
          [name],
        );
        if (rows[0]?.locked === true && this.#client === client) this.#book.acquired(name);
      }
      if (!tried) await client.query('select 1');
    } catch (error) {
      const now = Date.now();
      if (now - this.#lastWarning > WARN_EVERY_MS) {
        this.#lastWarning = now;
        this.#log.warn(
          { err: error },
          `cluster lease: the database session is unavailable; trying again every ${this.#options.retryMs} ms`,
        );
      }
      this.#drop();
    }
  }

  async #connect(): Promise<pg.Client> {
    const client = await newDedicatedClient({
      databaseUrl: this.#options.databaseUrl,
      timeoutMs: this.#options.queryTimeoutMs,
      applicationName: 'funless-lease',
    });
    // A lost session releases every lock it held: this Core owns nothing from that moment.
    client.on('error', () => this.#lostSession(client));
    client.on('end', () => this.#lostSession(client));
    await client.connect();
    if (this.#book.closed) {
      await client.end().catch(() => {});
      throw new Error('the lease was closed');
    }
    this.#client = client;
    return client;
  }

  #lostSession(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#drop();
    // Not at once: the other Cores get their chance at the names first.
    this.#schedule(this.#options.retryMs);
  }

  /** Forgets the session (its locks go with it) and stops every owned task. */
  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    this.#book.lostAll();
    if (client !== undefined) void client.end().catch(() => {});
  }

  async #release(name: string): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    await client
      .query('select pg_advisory_unlock(hashtext(current_schema()), hashtext($1))', [name])
      .catch(() => this.#drop());
  }
}
