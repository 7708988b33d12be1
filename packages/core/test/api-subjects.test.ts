import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { hashToken } from '../src/auth/index.js';
import { DIALECTS } from './support/databases.js';
import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

async function withCore(
  dialect: 'sqlite' | 'postgres',
  body: (core: TestCore) => Promise<void>,
): Promise<void> {
  const core = await createTestCore(dialect);
  try {
    await body(core);
  } finally {
    await core.close();
  }
}

for (const dialect of DIALECTS) {
  describe(`subjects and authentication (${dialect})`, () => {
    test('a first start has the guest subject, a developer; the list shows names and roles, no tokens', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('GET', '/v1/admin/subjects');
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: [{ name: 'guest', role: 'developer' }] });
        assert.doesNotMatch(res.body, /token/i);
      }));

    test('create shows the token once; it works on the API and is stored only as a hash', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('alice');
        const res = await core.request('POST', '/v1/admin/subjects', { json: { subject: { name } } });
        assert.equal(res.status, 201);
        assert.equal(res.json.data.name, name);
        const token: string = res.json.data.token;
        assert.ok(token.length >= 40);
        assert.equal((await core.request('GET', '/v1/fn', { token })).status, 200);
        const stored = await core.store.getSubject(name);
        assert.equal(stored?.tokenHash, hashToken(token));
        assert.notEqual(stored?.tokenHash, token);
        const list = await core.request('GET', '/v1/admin/subjects');
        assert.deepEqual(list.json.data.map((s: { name: string }) => s.name).sort(), ['guest', name].sort());
        assert.equal(list.headers['x-total-count'], '2');
      }));

    test('create errors: duplicate 409, bad name 400, missing name 400, text body 415', () =>
      withCore(dialect, async (core) => {
        const dup = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: 'guest' } },
        });
        assert.equal(dup.status, 409);
        assert.equal(dup.json.errors.detail, 'subject guest already exists');
        const admin = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: 'admin' } },
        });
        assert.equal(admin.status, 409);
        const bad = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: 'bob smith' } },
        });
        assert.equal(bad.status, 400);
        assert.match(bad.json.errors.detail, /subject name "bob smith" is invalid/);
        const missing = await core.request('POST', '/v1/admin/subjects', { json: { subject: {} } });
        assert.equal(missing.status, 400);
        assert.match(missing.json.errors.detail, /subject\.name is missing/);
        const text = await core.request('POST', '/v1/admin/subjects', {
          body: 'bob',
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(text.status, 415);
      }));

    test('rotation gives a new token and the old one stops working at once', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('bob');
        const created = await core.request('POST', '/v1/admin/subjects', { json: { subject: { name } } });
        const oldToken: string = created.json.data.token;
        const rotated = await core.request('POST', `/v1/admin/subjects/${name}/token`);
        assert.equal(rotated.status, 200);
        const newToken: string = rotated.json.data.token;
        assert.notEqual(newToken, oldToken);
        assert.equal((await core.request('GET', '/v1/fn', { token: oldToken })).status, 401);
        assert.equal((await core.request('GET', '/v1/fn', { token: newToken })).status, 200);
        const guest = await core.request('POST', '/v1/admin/subjects/guest/token');
        assert.equal(guest.status, 200);
        assert.equal((await core.request('GET', '/v1/fn', { token: core.guestToken })).status, 401);
      }));

    test('rotation errors: unknown 404, the admin 400', () =>
      withCore(dialect, async (core) => {
        assert.equal((await core.request('POST', '/v1/admin/subjects/nobody_x/token')).status, 404);
        const admin = await core.request('POST', '/v1/admin/subjects/admin/token');
        assert.equal(admin.status, 400);
        assert.match(admin.json.errors.detail, /FL_ADMIN_TOKEN/);
      }));

    test('delete answers 204 and the token stops working; unknown 404; the admin 400', () =>
      withCore(dialect, async (core) => {
        assert.equal((await core.request('DELETE', '/v1/admin/subjects/guest')).status, 204);
        assert.equal((await core.request('GET', '/v1/fn', { token: core.guestToken })).status, 401);
        assert.equal((await core.request('DELETE', '/v1/admin/subjects/guest')).status, 404);
        assert.equal((await core.request('DELETE', '/v1/admin/subjects/admin')).status, 400);
        assert.equal((await core.request('GET', '/v1/fn')).status, 200);
        assert.equal((await core.request('DELETE', '/v1/admin/subjects/a%2F..')).status, 400);
      }));

    test('a subject token on an admin route is 401; so are no token and a wrong one', () =>
      withCore(dialect, async (core) => {
        for (const [method, url] of [
          ['GET', '/v1/admin/subjects'],
          ['POST', '/v1/admin/subjects'],
          ['DELETE', '/v1/admin/subjects/guest'],
          ['POST', '/v1/admin/subjects/guest/token'],
        ] as const) {
          const guest = await core.request(method, url, {
            token: core.guestToken,
            json: { subject: { name: 'x' } },
          });
          assert.equal(guest.status, 401, `${method} ${url}`);
          assert.equal(guest.json.errors.detail, 'this route needs the admin token');
          assert.equal((await core.request(method, url, { token: null })).status, 401);
          assert.equal((await core.request(method, url, { token: `${core.adminToken}x` })).status, 401);
        }
        assert.equal((await core.request('GET', '/v1/admin/subjects')).status, 200);
      }));

    test('the Authorization header must be "Bearer <token>"', () =>
      withCore(dialect, async (core) => {
        const basic = await core.request('GET', '/v1/fn', {
          token: null,
          headers: { authorization: `Basic ${core.adminToken}` },
        });
        assert.equal(basic.status, 401);
        assert.match(basic.json.errors.detail, /expected Bearer <token>/);
        const lower = await core.request('GET', '/v1/fn', {
          token: null,
          headers: { authorization: `bearer ${core.adminToken}` },
        });
        assert.equal(lower.status, 200);
        const none = await core.request('GET', '/v1/fn', { token: null });
        assert.match(none.json.errors.detail, /missing bearer token/);
      }));
  });
}
