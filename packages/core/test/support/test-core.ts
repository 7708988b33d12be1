import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';

import { TOKENS_FILE, bootstrap } from '../../src/auth/index.js';
import type { Cluster } from '../../src/cluster/index.js';
import type { CoreOptions } from '../../src/config/index.js';
import { buildApp } from '../../src/http/index.js';
import type { BuildAppOptions } from '../../src/http/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/index.js';
import { createTestDatabase } from './databases.js';
import type { TestDatabase } from './databases.js';
import { assertExchangeMatchesOpenApi } from './openapi-check.js';

export const silentLogger = pino({ level: 'silent' });

/** Multipart parts: strings are fields, bytes are file parts. */
export type Form = Record<string, string | Uint8Array>;

export interface RequestOptions {
  json?: unknown;
  body?: string | Buffer;
  form?: Form;
  headers?: Record<string, string>;
  /** Bearer token; null sends none. @default the admin token */
  token?: string | null;
}

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  // Tests read whatever JSON came back; typing each shape would only repeat the OpenAPI check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface TestCore {
  app: FastifyInstance;
  store: Store;
  db: TestDatabase;
  adminToken: string;
  guestToken: string;
  /**
   * Sends a request through `app.inject()` and checks the exchange against the OpenAPI document:
   * the answer is documented, and a request the document refuses is refused.
   */
  request(method: string, url: string, options?: RequestOptions): Promise<TestResponse>;
  /** Closes the app and the store, and drops the database unless `keepData`. */
  close(keepData?: boolean): Promise<void>;
}

/** Serialises a multipart body the way a browser or curl would. */
export async function encodeForm(form: Form): Promise<{ body: Buffer; contentType: string }> {
  const data = new FormData();
  for (const [name, value] of Object.entries(form)) {
    if (typeof value === 'string') data.append(name, value);
    else data.append(name, new Blob([value]), `${name}.wasm`);
  }
  const request = new Request('http://localhost/', { method: 'POST', body: data });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type') ?? '',
  };
}

export function tokensFromFile(text: string): { admin: string; guest: string } {
  const admin = /^Admin=(.+)$/m.exec(text)?.[1];
  const guest = /^Guest=(.+)$/m.exec(text)?.[1];
  if (!admin || !guest) throw new Error(`tokens file without Admin= and Guest= lines: ${text}`);
  return { admin, guest };
}

/** A fresh Core app (not listening) on a fresh database, as a first start leaves it. */
export async function createTestCore(
  dialect: 'sqlite' | 'postgres',
  options: {
    cluster?: Cluster;
    core?: CoreOptions;
    db?: TestDatabase;
    /** Opens the store on `db`. @default `openStore` */
    openStore?: (db: TestDatabase) => Promise<Store>;
    /** Intervals of the activation recorder and of asynchronous invocations. */
    activations?: BuildAppOptions['activations'];
    /** Settings of events and sinks (shorter intervals). */
    events?: BuildAppOptions['events'];
    /** @default a silent logger */
    logger?: Logger;
    /** The web console's files. @default the built `@funless/console` */
    consoleDir?: string;
  } = {},
): Promise<TestCore> {
  const db = options.db ?? (await createTestDatabase(dialect));
  const store = options.openStore
    ? await options.openStore(db)
    : await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  await bootstrap(store, { dataDir: db.dataDir, adminToken }, silentLogger);
  const { guest } = tokensFromFile(await readFile(join(db.dataDir, TOKENS_FILE), 'utf8'));
  const app = buildApp({
    store,
    logger: options.logger ?? silentLogger,
    options: { dataDir: db.dataDir, ...options.core },
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.activations ? { activations: options.activations } : {}),
    ...('consoleDir' in options ? { consoleDir: options.consoleDir } : {}),
    ...(options.events ? { events: options.events } : {}),
  });
  await app.ready();

  return {
    app,
    store,
    db,
    adminToken,
    guestToken: guest,
    async request(method, url, req = {}) {
      const headers: Record<string, string> = { ...req.headers };
      const token = req.token === undefined ? adminToken : req.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let payload: string | Buffer | undefined = req.body;
      if (req.json !== undefined) {
        payload = JSON.stringify(req.json);
        headers['content-type'] ??= 'application/json';
      }
      if (req.form) {
        const encoded = await encodeForm(req.form);
        payload = encoded.body;
        headers['content-type'] = encoded.contentType;
      }
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload } : {}),
      });
      await assertExchangeMatchesOpenApi(
        { method, url, headers, payload },
        res.statusCode,
        res.body,
        res.headers,
      );
      let json: unknown;
      try {
        json = res.body === '' ? undefined : JSON.parse(res.body);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, json };
    },
    async close(keepData = false) {
      await app.close();
      await store.close();
      if (!keepData) await db.cleanup();
    },
  };
}

/** A name no other test uses. */
export function uniqueName(prefix = 'n'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}
