import pg from 'pg';

import { CONNECT_ATTEMPT_MS } from '../connections/index.js';
import type { ConnectionParams } from '../connections/index.js';
import { SetupLoop } from './setup-loop.js';
import type { Sink, SinkContext, SinkType } from './sink.js';

export interface PostgresSinkOptions {
  url: URL;
  /** A plain identifier; created when missing. */
  table: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Inserts one row per result into a PostgreSQL table (`id`, `activation_id`, `module`,
 * `function`, `created_at`, and the whole envelope as `jsonb`), which setup creates when missing.
 */
export class PostgresSink implements Sink {
  readonly #pool: pg.Pool;
  readonly #setup: SetupLoop;
  readonly #where: string;

  constructor(
    private readonly options: PostgresSinkOptions,
    private readonly context: SinkContext,
  ) {
    this.#where = `${options.url.host}${options.url.pathname} ${options.table}`;
    this.#pool = new pg.Pool({
      connectionString: options.url.href,
      max: 2,
      connectionTimeoutMillis: CONNECT_ATTEMPT_MS,
      query_timeout: context.timeoutMs,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server drops is replaced at the next query; its error is not fatal.
    this.#pool.on('error', (error) => context.logger.debug({ err: error }, 'postgres sink connection lost'));
    this.#setup = new SetupLoop(context.state, async () => {
      try {
        await this.#pool.query(
          `create table if not exists "${options.table}" (
            id bigserial primary key,
            activation_id text not null,
            module text not null,
            function text not null,
            created_at timestamptz not null default now(),
            envelope jsonb not null)`,
        );
      } catch (error) {
        throw new Error(`${this.#where}: ${(error as Error).message}`);
      }
    });
  }

  start(): void {
    this.#setup.start();
  }

  async deliver(envelope: Buffer): Promise<void> {
    if (!this.#setup.done)
      throw new Error(`${this.#where}: not ready (${this.context.state.lastError ?? 'connecting'})`);
    const fields = JSON.parse(envelope.toString('utf8')) as {
      activation_id: string;
      module: string;
      function: string;
    };
    try {
      await this.#pool.query(
        `insert into "${this.options.table}" (activation_id, module, function, envelope) values ($1, $2, $3, $4::jsonb)`,
        [fields.activation_id, fields.module, fields.function, envelope.toString('utf8')],
      );
    } catch (error) {
      throw new Error(`${this.#where}: ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.#setup.close();
    await this.#pool.end().catch(() => {});
  }
}

export const POSTGRES_SINK: SinkType<PostgresSinkOptions> = {
  parse(params: ConnectionParams): PostgresSinkOptions {
    const url = params.url('url', ['postgres:', 'postgresql:']);
    const table = params.string('table');
    if (!IDENTIFIER.test(table)) {
      params.fail(
        'table',
        `must be a plain identifier (a letter or _, then letters, digits, _; at most 63): ${JSON.stringify(table)}`,
      );
    }
    params.done();
    return { url, table };
  },
  create: (options, context) => new PostgresSink(options, context),
};
