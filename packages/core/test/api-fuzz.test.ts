import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { watFixture } from '@funless/testing';
import fc from 'fast-check';

import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

// Bad input must be answered with a 4xx naming the problem, never a 500, on either database.
for (const dialect of DIALECTS) {
  describe(`arbitrary input never causes a 500 (${dialect})`, () => {
    let core: TestCore;
    before(async () => {
      core = await createTestCore(dialect, { cluster: new RecordingCluster(() => Promise.resolve(null)) });
      await core.request('POST', '/v1/fn/_', { form: { name: 'hello', code: await watFixture('hello') } });
    });
    after(() => core.close());

    const runs = dialect === 'postgres' ? 60 : 100;

    test('module create with any name', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.jsonValue()),
          async (name) => {
            const res = await core.request('POST', '/v1/fn', { json: { module: { name } } });
            assert.ok([201, 400, 409].includes(res.status), `${res.status} ${res.body}`);
          },
        ),
        { numRuns: runs },
      );
    });

    test('any JSON body on the JSON routes', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/v1/fn', '/v1/fn/_/hello', '/v1/admin/subjects'),
          fc.jsonValue(),
          async (url, body) => {
            const res = await core.request('POST', url, { json: body });
            assert.ok(res.status < 500, `${url}: ${res.status} ${res.body}`);
          },
        ),
        { numRuns: runs },
      );
    });

    test('any raw body and content type', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('/v1/fn', '/v1/fn/_', '/v1/fn/_/hello', '/v1/admin/subjects'),
          fc.constantFrom('POST', 'PUT'),
          fc.constantFrom(
            'application/json',
            'application/json; charset=utf-8',
            'multipart/form-data',
            'multipart/form-data; boundary=B',
            'text/plain',
            'application/octet-stream',
          ),
          fc.string({ unit: 'binary' }),
          async (url, method, contentType, body) => {
            const res = await core.request(method, url, { body, headers: { 'content-type': contentType } });
            assert.ok(res.status < 500, `${method} ${url} ${contentType}: ${res.status} ${res.body}`);
          },
        ),
        { numRuns: runs },
      );
    });

    test('any metadata, events and sinks parts', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            metadata: fc.oneof(
              fc.string(),
              fc.jsonValue().map((v) => JSON.stringify(v)),
            ),
          }),
          fc.oneof(
            fc.string(),
            fc.jsonValue().map((v) => JSON.stringify(v)),
          ),
          fc.oneof(
            fc.string({ unit: 'binary' }),
            fc
              .record({ tag: fc.string({ unit: 'binary' }), capacity: fc.integer() })
              .map((v) => JSON.stringify(v)),
          ),
          async ({ metadata }, events, tagged) => {
            const res = await core.request('PUT', '/v1/fn/_/hello', { form: { metadata, events } });
            assert.ok(res.status < 500, `${res.status} ${res.body}`);
            const res2 = await core.request('PUT', '/v1/fn/_/hello', { form: { metadata: tagged } });
            assert.ok(res2.status < 500, `${res2.status} ${res2.body}`);
          },
        ),
        { numRuns: runs },
      );
    });

    test('any bytes as code', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), fc.boolean(), async (bytes, withMagic) => {
          const code = withMagic ? Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...bytes]) : bytes;
          const res = await core.request('PUT', '/v1/fn/_/hello', { form: { code } });
          assert.ok([200, 400].includes(res.status), `${res.status} ${res.body}`);
        }),
        { numRuns: runs },
      );
    });
  });
}
