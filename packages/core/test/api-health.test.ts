import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';

import type { Database } from '../src/store/schema.js';
import {
  CachedStore,
  KyselyStore,
  SQLITE_FILE,
  openStore,
  storageUnavailableCause,
} from '../src/store/index.js';
import type { ChangeFeed, ChangeListener } from '../src/store/index.js';
import { DIALECTS, createTestDatabase } from './support/databases.js';
import { createTestCore } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

const UNAVAILABLE = /^the database is unavailable: \S/;

/**
 * PostgreSQL behind a TCP relay. `close` drops every connection and refuses new ones; `hang`
 * stops relaying and takes new connections without ever answering, as a hung server does.
 */
async function startRelay(): Promise<{ port: number; hang(): void; close(): Promise<void> }> {
  const target = new URL(process.env.FL_TEST_PG_URL!);
  const sockets = new Set<Socket>();
  const pairs: [Socket, Socket][] = [];
  let silent = false;
  const relay = createServer((client) => {
    const ends = silent ? [client] : [client, connect(Number(target.port || 5432), target.hostname)];
    for (const socket of ends) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    if (ends[1]) {
      client.pipe(ends[1]).pipe(client);
      pairs.push([client, ends[1]]);
    }
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port: (relay.address() as AddressInfo).port,
    hang() {
      silent = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
      }
    },
    async close() {
      const closed = new Promise((resolve) => relay.close(resolve));
      dropAll();
      await closed;
    },
  };
}

/** A Core whose database the test can take away, as a crash or a network fault would. */
async function coreWithLosableDatabase(
  dialect: 'sqlite' | 'postgres',
): Promise<{ core: TestCore; loseDatabase: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    let handle: BetterSqlite3.Database | undefined;
    const core = await createTestCore(dialect, {
      openStore(db) {
        handle = new BetterSqlite3(join(db.dataDir, SQLITE_FILE));
        return KyselyStore.open(
          new Kysely<Database>({ dialect: new SqliteDialect({ database: handle }) }),
          'sqlite',
        );
      },
    });
    return {
      core,
      loseDatabase: () => {
        handle!.close();
        return Promise.resolve();
      },
    };
  }
  const relay = await startRelay();
  const port = relay.port;
  const core = await createTestCore(dialect, {
    openStore(db) {
      const url = new URL(db.databaseUrl!);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return openStore({ dataDir: db.dataDir, databaseUrl: url.toString() });
    },
  });
  return {
    core,
    loseDatabase: () => relay.close(),
  };
}

test('driver errors of a database that cannot serve are told from bugs', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  assert.equal(storageUnavailableCause(refused), 'connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(
    storageUnavailableCause(new AggregateError([refused], '')),
    'connect ECONNREFUSED 127.0.0.1:1',
  );
  const terminated = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
  });
  assert.equal(
    storageUnavailableCause(terminated),
    '57P01: terminating connection due to administrator command',
  );
  assert.equal(
    storageUnavailableCause(new Error('Connection terminated unexpectedly')),
    'Connection terminated unexpectedly',
  );
  const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  assert.equal(storageUnavailableCause(busy), 'SQLITE_BUSY: database is locked');
  const ioerr = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
  assert.equal(storageUnavailableCause(ioerr), 'SQLITE_IOERR_WRITE: disk I/O error');
  assert.equal(storageUnavailableCause(new TypeError('x is not a function')), undefined);
  assert.equal(storageUnavailableCause(Object.assign(new Error('syntax'), { code: '42601' })), undefined);
  assert.equal(storageUnavailableCause('ECONNREFUSED'), undefined);
});

for (const dialect of DIALECTS) {
  describe(`health and readiness (${dialect})`, () => {
    test('GET /v1/ and GET /v1/ready answer ok while the database answers', async () => {
      const core = await createTestCore(dialect);
      try {
        const health = await core.request('GET', '/v1/', { token: null });
        assert.equal(health.status, 200);
        assert.deepEqual(health.json, { data: { status: 'ok', database: dialect, storage: 'ok' } });
        const ready = await core.request('GET', '/v1/ready', { token: null });
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json, { data: { ready: true } });
      } finally {
        await core.close();
      }
    });

    test('GET /v1/ready is 503 while the cache does not hear the other Cores, and 200 once it does; GET /v1/ stays 200', async () => {
      // A change feed this test switches: as the PostgreSQL one does when its connection drops and returns.
      let listener: ChangeListener | undefined;
      const feed: ChangeFeed & { listening: boolean } = {
        listening: false,
        start: (l: ChangeListener) => void (listener = l),
        close: () => Promise.resolve(),
      };
      const core = await createTestCore(dialect, {
        openStore: async (db) =>
          new CachedStore(await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl }), {
            changes: feed,
          }),
      });
      try {
        const ready = await core.request('GET', '/v1/ready', { token: null });
        assert.equal(ready.status, 503);
        assert.match(
          ready.json.errors.detail,
          /^this Core cannot serve yet: not listening to the changes of other Cores/,
        );
        assert.equal(
          (await core.request('GET', '/v1/', { token: null })).status,
          200,
          'health is not readiness',
        );
        // Requests are still answered meanwhile, from the database.
        assert.equal((await core.request('GET', '/v1/fn')).status, 200);
        feed.listening = true;
        listener?.resumed();
        assert.equal((await core.request('GET', '/v1/ready', { token: null })).status, 200);
      } finally {
        await core.close();
      }
    });

    test('without its database the Core answers 503 naming the database, not ok or 500', async () => {
      const { core, loseDatabase } = await coreWithLosableDatabase(dialect);
      try {
        assert.equal((await core.request('GET', '/v1/fn')).status, 200);
        await loseDatabase();
        const health = await core.request('GET', '/v1/', { token: null });
        assert.equal(health.status, 503);
        assert.match(health.json.errors.detail, UNAVAILABLE);
        const ready = await core.request('GET', '/v1/ready', { token: null });
        assert.equal(ready.status, 503);
        assert.match(ready.json.errors.detail, UNAVAILABLE);
        const list = await core.request('GET', '/v1/fn');
        assert.equal(list.status, 503, list.body);
        assert.match(list.json.errors.detail, UNAVAILABLE);
        const create = await core.request('POST', '/v1/fn', { json: { module: { name: 'm' } } });
        assert.equal(create.status, 503, create.body);
        assert.match(create.json.errors.detail, UNAVAILABLE);
      } finally {
        await core.close();
      }
    });
  });
}

test(
  'a database that takes connections but never answers fails the ping within its bound',
  { skip: process.env.FL_TEST_PG_URL ? false : 'needs PostgreSQL' },
  async () => {
    const relay = await startRelay();
    const db = await createTestDatabase('postgres');
    const url = new URL(db.databaseUrl!);
    url.hostname = '127.0.0.1';
    url.port = String(relay.port);
    const store = await openStore({ dataDir: db.dataDir, databaseUrl: url.toString() });
    try {
      await store.ping(1000);
      relay.hang();
      await assert.rejects(store.ping(100), {
        code: 'unavailable',
        message: 'the database is unavailable: no answer to a trivial query within 100 ms',
      });
    } finally {
      await relay.close();
      await store.close();
      await db.cleanup();
    }
  },
);

test('opening PostgreSQL at a server that takes the connection but never answers fails as unavailable', async () => {
  const silent = new Set<Socket>();
  const server = createServer((socket) => {
    silent.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const error = await openStore({
      dataDir: '/nonexistent',
      databaseUrl: `postgres://postgres@127.0.0.1:${port}/test`,
      connectTimeoutMs: 200,
    }).then(
      () => assert.fail('opened a store on a server that never answered'),
      (e: unknown) => e,
    );
    assert.ok(silent.size > 0, 'the driver did connect');
    assert.match(storageUnavailableCause(error) ?? String(error), /connection timeout/);
  } finally {
    for (const socket of silent) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
