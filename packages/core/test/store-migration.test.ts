// The migration to roles and owners (0003) on databases the previous schema made: nothing stored
// is lost, and the guest keeps doing what it did.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { codeHash } from '@funless/protocol';
import { watFixture } from '@funless/testing';
import { sql } from 'kysely';

import { TOKENS_FILE, generateToken, hashToken } from '../src/auth/index.js';
import { MIGRATIONS, migrate, openStore } from '../src/store/index.js';
import { DIALECTS, createTestDatabase, rawDb } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { createTestCore } from './support/test-core.js';

const SCRIPT = '- default:\n    - workers: "*"\n';
const T = '2026-01-02T03:04:05.000Z';
/** The schema before roles and owners. */
const PREVIOUS = MIGRATIONS.filter((m) => m.name < '0003');

/** Makes `db` what a Core of the previous schema left: these subjects, a module `old` with `f`, `_` with `g`, script `s`. */
async function previousSchema(
  dialect: 'sqlite' | 'postgres',
  db: TestDatabase,
  subjects: [name: string, role: string, token: string][],
  code: Uint8Array,
): Promise<void> {
  const raw = rawDb(db);
  try {
    assert.deepEqual(
      await migrate(raw, PREVIOUS, { dialect }),
      PREVIOUS.map((m) => m.name),
    );
    for (const [name, role, token] of subjects) {
      await sql`insert into subjects (name, role, token_hash, created_at, updated_at)
        values (${name}, ${role}, ${hashToken(token)}, ${T}, ${T})`.execute(raw);
    }
    for (const module of ['_', 'old']) {
      await sql`insert into modules (name, created_at, updated_at) values (${module}, ${T}, ${T})`.execute(
        raw,
      );
    }
    for (const [module, name] of [
      ['old', 'f'],
      ['_', 'g'],
    ] as const) {
      await sql`insert into functions
        (module, name, hash, size, code, tag, capacity_mib, events, sinks, created_at, updated_at)
        values (${module}, ${name}, ${codeHash(code)}, ${code.byteLength}, ${Buffer.from(code)},
          'edge', 16, '[]', '[]', ${T}, ${T})`.execute(raw);
    }
    await sql`insert into app_scripts (name, text, created_at, updated_at)
      values ('s', ${SCRIPT}, ${T}, ${T})`.execute(raw);
  } finally {
    await raw.destroy();
  }
}

for (const dialect of DIALECTS) {
  describe(`migration to roles and owners (${dialect})`, () => {
    test("a database of the previous schema keeps everything; what existed is the guest's, subjects become developers", async () => {
      const db = await createTestDatabase(dialect);
      const code = await watFixture('hello');
      const guestToken = generateToken();
      const aliceToken = generateToken();
      await previousSchema(
        dialect,
        db,
        [
          ['admin', 'admin', generateToken()],
          ['guest', 'subject', guestToken],
          ['alice', 'subject', aliceToken],
        ],
        code,
      );
      // The tokens file that first start wrote (the test Core presets its own admin token).
      await writeFile(join(db.dataDir, TOKENS_FILE), `Admin=unused\nGuest=${guestToken}\n`);
      const core = await createTestCore(dialect, { db });
      try {
        const stored = await core.store.getFunctionWithCode('old', 'f');
        assert.deepEqual(Buffer.from(stored?.code ?? []), Buffer.from(code));
        assert.equal(stored?.hash, codeHash(code));
        assert.deepEqual(stored?.metadata, { tag: 'edge', capacityMiB: 16 });
        assert.equal(stored?.createdAt.toISOString(), T);
        assert.equal((await core.store.getAppScript('s'))?.text, SCRIPT);
        assert.deepEqual((await core.request('GET', '/v1/admin/subjects')).json.data, [
          { name: 'alice', role: 'developer' },
          { name: 'guest', role: 'developer' },
        ]);
        assert.deepEqual((await core.request('GET', '/v1/admin/modules/old')).json.data, {
          name: 'old',
          owner: 'guest',
          grants: [],
          functions: [{ name: 'f', owner: 'guest' }],
        });
        assert.equal((await core.request('GET', '/v1/admin/scripts/app/s')).json.data.owner, 'guest');

        // The old tokens work; the guest changes what it could, alice no longer changes the guest's.
        const forbidden = await core.request('DELETE', '/v1/fn/old', { token: aliceToken });
        assert.equal(forbidden.status, 403);
        assert.match(forbidden.json.errors.detail, /module old belongs to guest: alice may not delete it/);
        assert.equal((await core.request('GET', '/v1/fn/old/f', { token: aliceToken })).status, 200);
        const guest = { token: guestToken };
        assert.equal(
          (await core.request('PUT', '/v1/fn/old/f', { ...guest, form: { metadata: '{"capacity":32}' } }))
            .status,
          200,
        );
        assert.equal(
          (await core.request('PUT', '/v1/fn/_/g', { ...guest, form: { name: 'g2' } })).status,
          200,
        );
        assert.equal(
          (await core.request('PUT', '/v1/scripts/app/s', { ...guest, json: { script: `${SCRIPT}# v2\n` } }))
            .status,
          200,
        );
        assert.equal(
          (await core.request('PUT', '/v1/fn/old', { ...guest, json: { module: { name: 'renamed' } } }))
            .status,
          200,
        );
        assert.equal((await core.request('DELETE', '/v1/fn/renamed', guest)).status, 204);
      } finally {
        await core.close();
      }
    });

    test('without a guest subject, what existed belongs to the admin', async () => {
      const db = await createTestDatabase(dialect);
      await previousSchema(
        dialect,
        db,
        [
          ['admin', 'admin', generateToken()],
          ['alice', 'subject', generateToken()],
        ],
        await watFixture('hello'),
      );
      const store = await openStore({ dataDir: db.dataDir, databaseUrl: db.databaseUrl });
      try {
        assert.deepEqual(
          (await store.listModules()).map((m) => [m.name, m.owner]),
          [
            ['_', 'admin'],
            ['old', 'admin'],
          ],
        );
        assert.equal((await store.getFunction('old', 'f'))?.owner, 'admin');
        assert.equal((await store.getAppScript('s'))?.owner, 'admin');
        assert.equal((await store.getSubject('alice'))?.role, 'developer');
        assert.equal((await store.getSubject('admin'))?.role, 'admin');
      } finally {
        await store.close();
        await db.cleanup();
      }
    });
  });
}
