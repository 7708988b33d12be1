import type { ConnectionParams } from '../connections/index.js';
import { SetupLoop } from './setup-loop.js';
import type { Sink, SinkContext, SinkType } from './sink.js';

export interface CouchDbSinkOptions {
  /** The server, like `http://127.0.0.1:5984`. */
  url: URL;
  /** @default "funless" */
  database: string;
  username: string | undefined;
  password: string | undefined;
}

/** CouchDB's rule for database names. */
const DATABASE_NAME = /^[a-z][a-z0-9_$()+/-]*$/;

/**
 * Stores each envelope as a new CouchDB document (`POST /{db}`, basic auth), the sink FunLess had.
 * Setup creates the database when it is missing (`PUT /{db}`; 412 means it exists).
 */
export class CouchDbSink implements Sink {
  readonly #setup: SetupLoop;
  readonly #database: URL;
  readonly #headers: Record<string, string>;

  constructor(
    options: CouchDbSinkOptions,
    private readonly context: SinkContext,
  ) {
    this.#database = new URL(
      `${encodeURIComponent(options.database)}`,
      options.url.href.endsWith('/') ? options.url : `${options.url.href}/`,
    );
    this.#headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (options.username !== undefined) {
      const credentials = Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
      this.#headers.authorization = `Basic ${credentials}`;
    }
    this.#setup = new SetupLoop(context.state, async () => {
      const response = await this.#request('PUT');
      if (!response.ok && response.status !== 412)
        throw new Error(`PUT ${this.#where} answered ${response.status}${await detail(response)}`);
      await response.arrayBuffer().catch(() => {});
    });
  }

  get #where(): string {
    return `${this.#database.origin}${this.#database.pathname}`;
  }

  async #request(method: string, body?: Buffer): Promise<Response> {
    try {
      return await fetch(this.#database, {
        method,
        headers: this.#headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.context.timeoutMs),
      });
    } catch (error) {
      const e = error as Error & { cause?: Error };
      throw new Error(
        `${method} ${this.#where}: ${e.name === 'TimeoutError' ? `no answer within ${this.context.timeoutMs} ms` : (e.cause?.message ?? e.message)}`,
      );
    }
  }

  start(): void {
    this.#setup.start();
  }

  async deliver(envelope: Buffer): Promise<void> {
    if (!this.#setup.done)
      throw new Error(`${this.#where}: not ready (${this.context.state.lastError ?? 'connecting'})`);
    const response = await this.#request('POST', envelope);
    if (!response.ok)
      throw new Error(`POST ${this.#where} answered ${response.status}${await detail(response)}`);
    await response.arrayBuffer().catch(() => {});
  }

  close(): Promise<void> {
    this.#setup.close();
    return Promise.resolve();
  }
}

/** CouchDB's `{"error","reason"}`, when the answer has one. */
async function detail(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: unknown; reason?: unknown };
    return typeof body.reason === 'string' ? ` (${String(body.error)}: ${body.reason})` : '';
  } catch {
    return '';
  }
}

export const COUCHDB_SINK: SinkType<CouchDbSinkOptions> = {
  parse(params: ConnectionParams): CouchDbSinkOptions {
    const url = params.url('url', ['http:', 'https:']);
    const database = params.string('database', true) ?? 'funless';
    if (!DATABASE_NAME.test(database) || database.length > 238) {
      params.fail(
        'database',
        `must be a CouchDB database name (a lowercase letter, then a-z 0-9 _$()+-/): ${JSON.stringify(database)}`,
      );
    }
    const options = {
      url,
      database,
      username: params.string('username', true),
      password: params.string('password', true),
    };
    params.done();
    return options;
  },
  create: (options, context) => new CouchDbSink(options, context),
};
