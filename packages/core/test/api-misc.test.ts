import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { OPENAPI_DOCUMENT, buildApp } from '../src/http/index.js';
import { undocumentedRoutes } from '../src/http/openapi/openapi-document.js';
import { DIALECTS } from './support/databases.js';
import { assertExchangeMatchesOpenApi } from './support/openapi-check.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore, silentLogger } from './support/test-core.js';

test('the routes and the operations of a document are compared both ways', () => {
  const document = { paths: { '/v1/fn/{mod}': { get: {}, delete: {} }, '/v1/': { get: {} } } };
  assert.deepEqual(
    undocumentedRoutes(document, [
      { method: 'GET', url: '/v1/fn/:mod' },
      { method: 'HEAD', url: '/v1/fn/:mod' },
      { method: 'GET', url: '/v1/' },
      { method: 'POST', url: '/v1/fn/:mod' },
    ]),
    ['route POST /v1/fn/:mod has no OpenAPI operation', 'OpenAPI operation DELETE /v1/fn/:mod has no route'],
  );
});

test('a request the document refuses but the Core takes fails the API tests', async () => {
  const request = {
    method: 'POST',
    url: '/v1/fn',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ module: { name: 'a', extra: true } }),
  };
  await assert.rejects(
    assertExchangeMatchesOpenApi(request, 201, JSON.stringify({ data: { name: 'a' } })),
    /breaks the OpenAPI document \(the JSON body: .*must NOT have additional properties\) but the Core answered 201/,
  );
  await assertExchangeMatchesOpenApi(request, 400, JSON.stringify({ errors: { detail: 'unknown field' } }));
  await assert.rejects(
    assertExchangeMatchesOpenApi(
      { method: 'GET', url: '/v1/fn/a-b', headers: {} },
      200,
      JSON.stringify({ data: { name: 'a_b', functions: [] } }),
    ),
    /path parameter mod: /,
  );
});

for (const dialect of DIALECTS) {
  describe(`health, workers, OpenAPI and unknown routes (${dialect})`, () => {
    test('GET /v1/ needs no token and names the database', async () => {
      const core = await createTestCore(dialect);
      try {
        const res = await core.request('GET', '/v1/', { token: null });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: { status: 'ok', database: dialect, storage: 'ok' } });
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
          threads: 4,
          runningTags: ['default'],
          secondsSinceReport: 1.5,
          cpuUse: 0.25,
          loadAverage: [0.5, 0.75, 1],
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

    test('GET /v1/openapi.json serves the OpenAPI 3.1 document assembled from the routes', async () => {
      const core = await createTestCore(dialect);
      try {
        const res = await core.request('GET', '/v1/openapi.json', { token: null });
        assert.equal(res.status, 200);
        assert.equal(res.json.openapi, '3.1.0');
        assert.deepEqual(res.json, JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
        assert.ok(res.json.paths['/v1/scripts/app/{name}'].put, 'every route module is in it');
      } finally {
        await core.close();
      }
    });

    test('an app serving a route the document does not describe does not get ready', async () => {
      const core = await createTestCore(dialect);
      const app = buildApp({
        store: core.store,
        logger: silentLogger,
        options: { dataDir: core.db.dataDir },
      });
      try {
        app.get('/v1/undocumented', () => ({ data: null }));
        await assert.rejects(async () => {
          await app.ready();
        }, /route GET \/v1\/undocumented has no OpenAPI operation/);
      } finally {
        await app.close();
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
