import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore } from './support/test-core.js';

for (const dialect of DIALECTS) {
  describe(`health, workers, OpenAPI and unknown routes (${dialect})`, () => {
    test('GET /v1/ needs no token and names the database', async () => {
      const core = await createTestCore(dialect);
      try {
        const res = await core.request('GET', '/v1/', { token: null });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: { status: 'ok', database: dialect } });
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      } finally {
        await core.close();
      }
    });

    test('a request id sent by the client is echoed back', async () => {
      const core = await createTestCore(dialect);
      try {
        const res = await core.request('GET', '/v1/', { headers: { 'x-request-id': 'abc-123' } });
        assert.equal(res.headers['x-request-id'], 'abc-123');
        const odd = await core.request('GET', '/v1/', { headers: { 'x-request-id': 'a b <script>' } });
        assert.match(
          String(odd.headers['x-request-id']),
          /^[0-9a-f-]{36}$/,
          'an id that is not an id is replaced',
        );
      } finally {
        await core.close();
      }
    });

    test('GET /v1/workers answers the cluster Workers; none without a Worker link', async () => {
      const cluster = new RecordingCluster(() => Promise.resolve(null));
      cluster.workerList = [
        {
          name: 'w1',
          tag: 'edge',
          memoryTotalMiB: 1024,
          memoryFreeMiB: 512,
          inFlight: 2,
          runningTags: ['default'],
          secondsSinceReport: 1.5,
        },
      ];
      const core = await createTestCore(dialect, { cluster });
      const bare = await createTestCore(dialect);
      try {
        const res = await core.request('GET', '/v1/workers', { token: core.guestToken });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: cluster.workerList });
        assert.deepEqual((await bare.request('GET', '/v1/workers')).json, { data: [] });
        assert.equal((await bare.request('GET', '/v1/workers', { token: null })).status, 401);
      } finally {
        await core.close();
        await bare.close();
      }
      assert.equal(cluster.closed, true, 'the app closes the cluster it was given');
    });

    test('GET /v1/openapi.json is an OpenAPI 3.1 document of every route', async () => {
      const core = await createTestCore(dialect);
      try {
        const res = await core.request('GET', '/v1/openapi.json', { token: null });
        assert.equal(res.status, 200);
        assert.equal(res.json.openapi, '3.1.0');
        const documented = new Set<string>();
        for (const [path, item] of Object.entries(res.json.paths as Record<string, object>)) {
          for (const method of Object.keys(item)) {
            if (method !== 'parameters')
              documented.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
          }
        }
        const routes = core.app
          .printRoutes({ commonPrefix: false })
          .split('\n')
          .filter((line) => line.includes('/v1'));
        assert.ok(routes.length > 0);
        for (const method of ['GET', 'POST', 'PUT', 'DELETE'] as const) {
          for (const path of [
            '/v1/',
            '/v1/fn',
            '/v1/fn/:mod',
            '/v1/fn/:mod/:fn',
            '/v1/admin/subjects',
            '/v1/admin/subjects/:name',
            '/v1/admin/subjects/:name/token',
            '/v1/workers',
            '/v1/openapi.json',
          ]) {
            const probe = await core.app.inject({
              method,
              url: path.replace(':mod', '_').replace(':fn', 'x').replace(':name', 'guest'),
            });
            const routed = probe.statusCode !== 404 || !probe.body.includes('no route');
            assert.equal(
              documented.has(`${method} ${path}`),
              routed,
              `${method} ${path}: routed=${routed}, documented=${documented.has(`${method} ${path}`)}`,
            );
          }
        }
      } finally {
        await core.close();
      }
    });

    test('unknown routes and methods are 404 with a JSON error, token or not', async () => {
      const core = await createTestCore(dialect);
      try {
        for (const [method, url] of [
          ['GET', '/'],
          ['GET', '/v2/fn'],
          ['PATCH', '/v1/fn'],
          ['GET', '/v1/fn/a/b/c'],
          ['POST', '/v1/scripts/nothing/here/at/all'],
        ] as const) {
          const res = await core.request(method, url, { token: null });
          assert.equal(res.status, 404, `${method} ${url}`);
          assert.match(res.json.errors.detail, /^no route /);
        }
      } finally {
        await core.close();
      }
    });

    test('a body with no content type is 415, never 500', async () => {
      const core = await createTestCore(dialect);
      try {
        const res = await core.app.inject({
          method: 'POST',
          url: '/v1/fn',
          headers: {
            authorization: `Bearer ${core.adminToken}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: 'module=x',
        });
        assert.equal(res.statusCode, 415);
        assert.match(JSON.parse(res.body).errors.detail, /unsupported content type/);
      } finally {
        await core.close();
      }
    });
  });
}
