// Roles and ownership (docs/api.md, "Roles and ownership"): who may read, invoke and change which
// module, function and APP script, and the admin's grants.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { watFixture } from '@funless/testing';

import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore, TestResponse } from './support/test-core.js';

const SCRIPT = '- default:\n    - workers: "*"\n';

async function withCore(
  dialect: 'sqlite' | 'postgres',
  body: (core: TestCore, cluster: RecordingCluster) => Promise<void>,
): Promise<void> {
  const cluster = new RecordingCluster((_fn, args) => Promise.resolve({ echo: args }));
  const core = await createTestCore(dialect, { cluster });
  try {
    await body(core, cluster);
  } finally {
    await core.close();
  }
}

/** A new subject (through the admin API) and its token. */
async function subject(
  core: TestCore,
  prefix: string,
  role?: string,
): Promise<{ name: string; token: string }> {
  const name = uniqueName(prefix);
  const res = await core.request('POST', '/v1/admin/subjects', {
    json: { subject: role === undefined ? { name } : { name, role } },
  });
  assert.equal(res.status, 201, res.body);
  return { name, token: res.json.data.token };
}

async function upload(core: TestCore, token: string, module: string, name: string): Promise<TestResponse> {
  return core.request('POST', `/v1/fn/${module}`, { token, form: { name, code: await watFixture('hello') } });
}

/** Asserts a 403 whose detail matches every pattern. */
function assertForbidden(res: TestResponse, ...patterns: RegExp[]): void {
  assert.equal(res.status, 403, res.body);
  for (const pattern of patterns) assert.match(res.json.errors.detail, pattern);
}

for (const dialect of DIALECTS) {
  describe(`roles and ownership (${dialect})`, () => {
    test('another developer cannot rename, delete or add to a module, nor change its functions; can with a grant, not after it is withdrawn', () =>
      withCore(dialect, async (core) => {
        const alice = await subject(core, 'alice');
        const bob = await subject(core, 'bob');
        const mod = uniqueName('m');
        assert.equal(
          (await core.request('POST', '/v1/fn', { token: alice.token, json: { module: { name: mod } } }))
            .status,
          201,
        );
        assert.equal((await upload(core, alice.token, mod, 'f')).status, 201);
        const before = (await core.request('GET', `/v1/fn/${mod}/f`)).json.data;

        const owner = new RegExp(`module ${mod} belongs to ${alice.name}: ${bob.name} may not`);
        const grantRoute = new RegExp(`PUT /v1/admin/modules/${mod}/grants/${bob.name}`);
        const attempts = async (): Promise<TestResponse[]> => [
          await core.request('PUT', `/v1/fn/${mod}`, {
            token: bob.token,
            json: { module: { name: `${mod}_x` } },
          }),
          await core.request('DELETE', `/v1/fn/${mod}`, { token: bob.token }),
          await upload(core, bob.token, mod, 'g'),
          await core.request('PUT', `/v1/fn/${mod}/f`, {
            token: bob.token,
            form: { metadata: '{"capacity":32}' },
          }),
          await core.request('DELETE', `/v1/fn/${mod}/f`, { token: bob.token }),
        ];
        for (const res of await attempts()) assertForbidden(res, owner, grantRoute);
        assert.match(
          (await core.request('PUT', `/v1/fn/${mod}`, { token: bob.token, json: { module: { name: 'x' } } }))
            .json.errors.detail,
          /may not rename it/,
        );
        // Nothing changed.
        assert.deepEqual((await core.request('GET', `/v1/fn/${mod}/f`)).json.data, before);
        assert.deepEqual(
          (await core.request('GET', `/v1/fn/${mod}`)).json.data.functions.map(
            (f: { name: string }) => f.name,
          ),
          ['f'],
        );

        const grant = await core.request('PUT', `/v1/admin/modules/${mod}/grants/${bob.name}`);
        assert.equal(grant.status, 201);
        assert.deepEqual(grant.json.data, {
          name: mod,
          owner: alice.name,
          grants: [bob.name],
          functions: [{ name: 'f', owner: alice.name }],
        });
        assert.equal((await core.request('PUT', `/v1/admin/modules/${mod}/grants/${bob.name}`)).status, 200);
        const updated = await core.request('PUT', `/v1/fn/${mod}/f`, {
          token: bob.token,
          form: { metadata: '{"capacity":32}' },
        });
        assert.equal(updated.status, 200, updated.body);
        assert.equal(updated.json.data.metadata.capacity, 32);
        assert.equal((await upload(core, bob.token, mod, 'g')).status, 201);

        assert.equal(
          (await core.request('DELETE', `/v1/admin/modules/${mod}/grants/${bob.name}`)).status,
          204,
        );
        assert.equal(
          (await core.request('DELETE', `/v1/admin/modules/${mod}/grants/${bob.name}`)).status,
          404,
        );
        // Withdrawn: even the function bob created in alice's module is alice's to change now.
        for (const res of await attempts()) assertForbidden(res, owner);
        assertForbidden(await core.request('DELETE', `/v1/fn/${mod}/g`, { token: bob.token }), owner);
        assert.equal((await core.request('GET', `/v1/admin/modules/${mod}`)).json.data.grants.length, 0);

        // The owner keeps every right; a grant follows its module when it is renamed.
        assert.equal((await core.request('PUT', `/v1/admin/modules/${mod}/grants/${bob.name}`)).status, 201);
        const renamed = await core.request('PUT', `/v1/fn/${mod}`, {
          token: alice.token,
          json: { module: { name: `${mod}_b` } },
        });
        assert.equal(renamed.status, 200);
        assert.deepEqual((await core.request('GET', `/v1/admin/modules/${mod}_b`)).json.data.grants, [
          bob.name,
        ]);
        assert.equal((await core.request('DELETE', `/v1/fn/${mod}_b/g`, { token: bob.token })).status, 204);
        assert.equal((await core.request('DELETE', `/v1/fn/${mod}_b`, { token: alice.token })).status, 204);
      }));

    test('in the shared module _ every developer adds functions, and each belongs to its creator', () =>
      withCore(dialect, async (core) => {
        const alice = await subject(core, 'alice');
        const bob = await subject(core, 'bob');
        const fa = uniqueName('fa');
        const fb = uniqueName('fb');
        assert.equal((await upload(core, alice.token, '_', fa)).status, 201);
        assert.equal((await upload(core, bob.token, '_', fb)).status, 201);
        const owner = new RegExp(`function _/${fa} belongs to ${alice.name}: ${bob.name} may not`);
        assertForbidden(
          await core.request('PUT', `/v1/fn/_/${fa}`, { token: bob.token, form: { name: `${fa}_x` } }),
          owner,
          /may not update it/,
        );
        assertForbidden(
          await core.request('DELETE', `/v1/fn/_/${fa}`, { token: bob.token }),
          owner,
          /delete it/,
        );
        const shared = (await core.request('GET', '/v1/admin/modules/_')).json.data;
        assert.equal(shared.owner, null);
        assert.deepEqual(
          shared.functions.filter((f: { name: string }) => f.name === fa || f.name === fb),
          [
            { name: fa, owner: alice.name },
            { name: fb, owner: bob.name },
          ].sort((a, b) => (a.name < b.name ? -1 : 1)),
        );
        assert.equal((await core.request('DELETE', `/v1/fn/_/${fb}`, { token: bob.token })).status, 204);
        assert.equal(
          (
            await core.request('PUT', `/v1/fn/_/${fa}`, {
              token: alice.token,
              form: { metadata: '{"tag":"a"}' },
            })
          ).status,
          200,
        );
        // A grant on _ opens every function in it.
        assert.equal((await core.request('PUT', `/v1/admin/modules/_/grants/${bob.name}`)).status, 201);
        assert.equal((await core.request('DELETE', `/v1/fn/_/${fa}`, { token: bob.token })).status, 204);
      }));

    test('another developer cannot replace, rename or delete an APP script; can with a grant, not after it is withdrawn', () =>
      withCore(dialect, async (core) => {
        const alice = await subject(core, 'alice');
        const bob = await subject(core, 'bob');
        const name = uniqueName('s');
        const created = await core.request('POST', '/v1/scripts/app', {
          token: alice.token,
          json: { name, script: SCRIPT },
        });
        assert.equal(created.status, 201);
        const owner = new RegExp(`APP script ${name} belongs to ${alice.name}: ${bob.name} may not`);
        const grantRoute = new RegExp(`PUT /v1/admin/scripts/app/${name}/grants/${bob.name}`);
        const attempts = async (): Promise<TestResponse[]> => [
          await core.request('PUT', `/v1/scripts/app/${name}`, {
            token: bob.token,
            json: { script: `${SCRIPT}# b\n` },
          }),
          await core.request('PUT', `/v1/scripts/app/${name}`, {
            token: bob.token,
            json: { name: `${name}_x` },
          }),
          await core.request('DELETE', `/v1/scripts/app/${name}`, { token: bob.token }),
        ];
        for (const res of await attempts()) assertForbidden(res, owner, grantRoute);
        assert.equal((await core.request('GET', `/v1/scripts/app/${name}`)).json.data.script, SCRIPT);
        // Reading is open to every developer.
        assert.equal(
          (await core.request('GET', `/v1/scripts/app/${name}`, { token: bob.token })).status,
          200,
        );

        const grant = await core.request('PUT', `/v1/admin/scripts/app/${name}/grants/${bob.name}`);
        assert.equal(grant.status, 201);
        assert.deepEqual(grant.json.data, { name, owner: alice.name, grants: [bob.name] });
        const replaced = await core.request('PUT', `/v1/scripts/app/${name}`, {
          token: bob.token,
          json: { script: `${SCRIPT}# by bob\n` },
        });
        assert.equal(replaced.status, 200);
        assert.equal(
          (await core.request('DELETE', `/v1/admin/scripts/app/${name}/grants/${bob.name}`)).status,
          204,
        );
        for (const res of await attempts()) assertForbidden(res, owner);
        // A grant follows its script when it is renamed.
        assert.equal(
          (await core.request('PUT', `/v1/admin/scripts/app/${name}/grants/${bob.name}`)).status,
          201,
        );
        const renamed = await core.request('PUT', `/v1/scripts/app/${name}`, {
          token: alice.token,
          json: { name: `${name}_b` },
        });
        assert.equal(renamed.status, 200);
        assert.deepEqual((await core.request('GET', `/v1/admin/scripts/app/${name}_b`)).json.data.grants, [
          bob.name,
        ]);
        assert.equal(
          (await core.request('DELETE', `/v1/scripts/app/${name}_b`, { token: bob.token })).status,
          204,
        );
      }));

    test('an invoker reads and invokes functions but creates, changes and deletes nothing (403 naming its role)', () =>
      withCore(dialect, async (core, cluster) => {
        const dev = await subject(core, 'dev');
        const device = await subject(core, 'device', 'invoker');
        const mod = uniqueName('m');
        await core.request('POST', '/v1/fn', { token: dev.token, json: { module: { name: mod } } });
        assert.equal((await upload(core, dev.token, mod, 'f')).status, 201);
        await core.request('POST', '/v1/scripts/app', {
          token: dev.token,
          json: { name: `${mod}_s`, script: SCRIPT },
        });

        const token = device.token;
        assert.equal((await core.request('GET', '/v1/fn', { token })).status, 200);
        assert.equal((await core.request('GET', `/v1/fn/${mod}`, { token })).status, 200);
        assert.equal((await core.request('GET', `/v1/fn/${mod}/f`, { token })).status, 200);
        const invoked = await core.request('POST', `/v1/fn/${mod}/f`, { token, json: { args: { n: 1 } } });
        assert.equal(invoked.status, 200, invoked.body);
        assert.deepEqual(invoked.json, { data: { echo: { n: 1 } } });
        assert.equal(cluster.invocations.length, 1);

        const role = new RegExp(
          `${device.name} has the invoker role, which may only read and invoke functions`,
        );
        for (const [method, url, options, route] of [
          ['POST', '/v1/fn', { json: { module: { name: uniqueName('x') } } }, 'POST /v1/fn'],
          // Refused before the body is read: a malformed one makes no difference.
          [
            'POST',
            '/v1/fn',
            { body: '{"module":', headers: { 'content-type': 'application/json' } },
            'POST /v1/fn',
          ],
          ['PUT', `/v1/fn/${mod}`, { json: { module: { name: 'x' } } }, 'PUT /v1/fn/:mod'],
          ['DELETE', `/v1/fn/${mod}`, {}, 'DELETE /v1/fn/:mod'],
          [
            'POST',
            `/v1/fn/${mod}`,
            { form: { name: 'g', code: await watFixture('hello') } },
            'POST /v1/fn/:mod',
          ],
          ['PUT', `/v1/fn/${mod}/f`, { form: { metadata: '{"capacity":8}' } }, 'PUT /v1/fn/:mod/:fn'],
          ['DELETE', `/v1/fn/${mod}/f`, {}, 'DELETE /v1/fn/:mod/:fn'],
          ['GET', '/v1/scripts/app', {}, 'GET /v1/scripts/app'],
          ['GET', `/v1/scripts/app/${mod}_s`, {}, 'GET /v1/scripts/app/:name'],
          [
            'POST',
            '/v1/scripts/app',
            { json: { name: uniqueName('s'), script: SCRIPT } },
            'POST /v1/scripts/app',
          ],
          ['DELETE', `/v1/scripts/app/${mod}_s`, {}, 'DELETE /v1/scripts/app/:name'],
          ['GET', '/v1/workers', {}, 'GET /v1/workers'],
        ] as const) {
          const res = await core.request(method, url, { token, ...options });
          assertForbidden(
            res,
            role,
            new RegExp(`: ${route.replace(/\//g, '\\/')} needs the developer role$`),
          );
        }
        assert.equal((await core.request('GET', '/v1/admin/subjects', { token })).status, 401);
        assert.equal((await core.request('GET', `/v1/fn/${mod}`)).json.data.functions.length, 1);
        assert.equal(cluster.stored.length, 1);

        // A role change applies to the next request.
        const changed = await core.request('PUT', `/v1/admin/subjects/${device.name}`, {
          json: { subject: { role: 'developer' } },
        });
        assert.deepEqual(changed.json, { data: { name: device.name, role: 'developer' } });
        assert.equal(
          (await core.request('POST', '/v1/fn', { token, json: { module: { name: uniqueName('x') } } }))
            .status,
          201,
        );
      }));

    test('subjects get a role: developer by default, invoker on request; unknown and admin roles are 400 naming the accepted ones', () =>
      withCore(dialect, async (core) => {
        const plain = await subject(core, 'plain');
        const device = await subject(core, 'device', 'invoker');
        assert.deepEqual((await core.request('GET', `/v1/admin/subjects/${plain.name}`)).json, {
          data: { name: plain.name, role: 'developer' },
        });
        assert.deepEqual((await core.request('GET', `/v1/admin/subjects/${device.name}`)).json, {
          data: { name: device.name, role: 'invoker' },
        });
        const listed = (await core.request('GET', '/v1/admin/subjects')).json.data as { name: string }[];
        assert.deepEqual(
          listed.filter((s) => s.name === plain.name || s.name === device.name),
          [
            { name: device.name, role: 'invoker' },
            { name: plain.name, role: 'developer' },
          ],
        );
        const rotated = await core.request('POST', `/v1/admin/subjects/${device.name}/token`);
        assert.equal(rotated.json.data.role, 'invoker');

        const unknown = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: uniqueName('x'), role: 'superuser' } },
        });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.json.errors.detail, 'unknown role "superuser": use one of developer, invoker');
        const admin = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: uniqueName('x'), role: 'admin' } },
        });
        assert.equal(admin.status, 400);
        assert.match(
          admin.json.errors.detail,
          /role admin belongs to the admin subject alone: .* developer, invoker/,
        );
        const change = await core.request('PUT', `/v1/admin/subjects/${plain.name}`, {
          json: { subject: { role: 'root' } },
        });
        assert.equal(change.status, 400);
        assert.match(change.json.errors.detail, /use one of developer, invoker/);
        assert.equal(
          (await core.request('PUT', '/v1/admin/subjects/admin', { json: { subject: { role: 'invoker' } } }))
            .status,
          400,
        );
        assert.equal(
          (
            await core.request('PUT', '/v1/admin/subjects/nobody_x', {
              json: { subject: { role: 'invoker' } },
            })
          ).status,
          404,
        );
        assert.equal((await core.request('GET', '/v1/admin/subjects/nobody_x')).status, 404);
        assert.deepEqual((await core.request('GET', '/v1/admin/subjects/admin')).json, {
          data: { name: 'admin', role: 'admin' },
        });
      }));

    test('grants that would change nothing are 400; grants on unknown things 404', () =>
      withCore(dialect, async (core) => {
        const alice = await subject(core, 'alice');
        const device = await subject(core, 'device', 'invoker');
        const mod = uniqueName('m');
        await core.request('POST', '/v1/fn', { token: alice.token, json: { module: { name: mod } } });
        const toInvoker = await core.request('PUT', `/v1/admin/modules/${mod}/grants/${device.name}`);
        assert.equal(toInvoker.status, 400);
        assert.match(toInvoker.json.errors.detail, /has the invoker role.*give it the developer role first/);
        const toOwner = await core.request('PUT', `/v1/admin/modules/${mod}/grants/${alice.name}`);
        assert.equal(toOwner.status, 400);
        assert.match(toOwner.json.errors.detail, new RegExp(`${alice.name} owns module ${mod}`));
        assert.equal((await core.request('PUT', `/v1/admin/modules/${mod}/grants/admin`)).status, 400);
        const noSubject = await core.request('PUT', `/v1/admin/modules/${mod}/grants/nobody_x`);
        assert.equal(noSubject.status, 404);
        assert.equal(noSubject.json.errors.detail, 'subject nobody_x not found');
        assert.equal((await core.request('PUT', '/v1/admin/modules/no_mod_x/grants/guest')).status, 404);
        assert.equal((await core.request('GET', '/v1/admin/scripts/app/no_script_x')).status, 404);
        // A subject token on these admin routes is 401, as on every admin route.
        assert.equal(
          (await core.request('PUT', `/v1/admin/modules/${mod}/grants/guest`, { token: alice.token })).status,
          401,
        );
      }));

    test("a deleted subject's modules pass to the admin: a new subject of the same name does not get them", () =>
      withCore(dialect, async (core) => {
        const alice = await subject(core, 'alice');
        const mod = uniqueName('m');
        await core.request('POST', '/v1/fn', { token: alice.token, json: { module: { name: mod } } });
        assert.equal((await core.request('DELETE', `/v1/admin/subjects/${alice.name}`)).status, 204);
        assert.equal((await core.request('GET', `/v1/admin/modules/${mod}`)).json.data.owner, 'admin');
        const again = await core.request('POST', '/v1/admin/subjects', {
          json: { subject: { name: alice.name } },
        });
        assertForbidden(
          await core.request('DELETE', `/v1/fn/${mod}`, { token: again.json.data.token }),
          new RegExp(`module ${mod} belongs to admin`),
        );
      }));

    test('the guest manages what it creates, as before; the admin changes anything', () =>
      withCore(dialect, async (core) => {
        const alice = await subject(core, 'alice');
        const mod = uniqueName('m');
        const guest = core.guestToken;
        assert.equal(
          (await core.request('POST', '/v1/fn', { token: guest, json: { module: { name: mod } } })).status,
          201,
        );
        assert.equal((await upload(core, guest, mod, 'f')).status, 201);
        assert.equal((await upload(core, guest, '_', `${mod}_f`)).status, 201);
        assert.equal(
          (await core.request('PUT', `/v1/fn/${mod}/f`, { token: guest, form: { name: 'g' } })).status,
          200,
        );
        assert.equal((await core.request('DELETE', `/v1/fn/_/${mod}_f`, { token: guest })).status, 204);
        // Another developer cannot touch it; the admin can.
        assertForbidden(
          await core.request('DELETE', `/v1/fn/${mod}`, { token: alice.token }),
          new RegExp(`module ${mod} belongs to guest`),
        );
        assert.equal(
          (await core.request('PUT', `/v1/fn/${mod}`, { json: { module: { name: `${mod}_r` } } })).status,
          200,
        );
        assert.equal((await core.request('DELETE', `/v1/fn/${mod}_r`, { token: guest })).status, 204);
      }));
  });
}
