import type pg from 'pg';
import type { Logger } from 'pino';

import type { ChangeFeed, ChangeListener } from './change-feed.js';
import { newDedicatedClient } from './dedicated-client.js';
import { CHANGES_CHANNEL } from './migrations/index.js';

export interface PostgresChangeFeedOptions {
  databaseUrl: string;
  /**
   * Time between two checks that the listening connection is alive, and between two attempts to
   * reconnect, in ms. A connection that died silently is noticed within this plus `queryTimeoutMs`.
   * @default 1_000
   */
  checkIntervalMs?: number;
  /** Longest a connect, `LISTEN` or check may take, in ms. @default 2_000 */
  queryTimeoutMs?: number;
}

/** Logged at most this often while the database is unreachable, in ms. */
const WARN_EVERY_MS = 10_000;

/**
 * `LISTEN funless_changes` on a connection of its own (the triggers of migration 0006 send the
 * notifications inside the transaction of each change). Notifications of other schemas, in a
 * database several installations share, are ignored.
 */
export class PostgresChangeFeed implements ChangeFeed {
  readonly #options: Required<PostgresChangeFeedOptions>;
  readonly #log: Logger;
  #listener: ChangeListener | undefined;
  #client: pg.Client | undefined;
  #schema: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;
  #lastWarning = 0;

  constructor(options: PostgresChangeFeedOptions, logger: Logger) {
    this.#options = { checkIntervalMs: 1_000, queryTimeoutMs: 2_000, ...options };
    this.#log = logger;
  }

  get listening(): boolean {
    return this.#schema !== undefined;
  }

  start(listener: ChangeListener): void {
    if (this.#listener) throw new Error('the change feed was started already');
    this.#listener = listener;
    this.#schedule(0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
    this.#drop();
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running ??= this.#step().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#options.checkIntervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #step(): Promise<void> {
    try {
      if (this.#client === undefined) await this.#listen();
      else await this.#client.query('select 1');
    } catch (error) {
      const now = Date.now();
      if (now - this.#lastWarning > WARN_EVERY_MS) {
        this.#lastWarning = now;
        this.#log.warn(
          { err: error },
          `change feed: not listening to the database; caches are off until it is back (retrying every ${this.#options.checkIntervalMs} ms)`,
        );
      }
      this.#drop();
    }
  }

  async #listen(): Promise<void> {
    const client = await newDedicatedClient({
      databaseUrl: this.#options.databaseUrl,
      timeoutMs: this.#options.queryTimeoutMs,
      applicationName: 'funless-changes',
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => {
      if (message.channel !== CHANGES_CHANNEL || this.#client !== client) return;
      const [schema, table] = (message.payload ?? '').split(' ');
      if (schema === this.#schema && table !== undefined) this.#listener?.changed(table);
    });
    this.#client = client;
    await client.connect();
    await client.query(`listen ${CHANGES_CHANNEL}`);
    const { rows } = await client.query<{ schema: string }>('select current_schema() as schema');
    if (this.#client !== client || this.#closed) throw new Error('the connection was lost while listening');
    this.#schema = rows[0]?.schema ?? 'public';
    this.#log.debug('change feed: listening');
    this.#listener?.resumed();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#drop();
    this.#schedule(0);
  }

  #drop(): void {
    const client = this.#client;
    const wasListening = this.listening;
    this.#client = undefined;
    this.#schema = undefined;
    if (wasListening) this.#listener?.gap();
    if (client !== undefined) void client.end().catch(() => {});
  }
}
