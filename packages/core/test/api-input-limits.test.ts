import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { watFixture } from '@funless/testing';

import { JSON_BODY_LIMIT_BYTES } from '../src/http/index.js';
import { MAX_JSON_DEPTH } from '../src/http/validation.js';
import { DIALECTS } from './support/databases.js';
import { createTestCore, type TestCore } from './support/test-core.js';

/** `{"a":[[[…0…]]]}` with `levels` arrays, as text (JSON.stringify would overflow on deep values). */
function nested(levels: number): string {
  return `${'['.repeat(levels)}0${']'.repeat(levels)}`;
}

async function withCore(dialect: 'sqlite' | 'postgres', body: (core: TestCore) => Promise<void>) {
  const core = await createTestCore(dialect);
  try {
    await body(core);
  } finally {
    await core.close();
  }
}

function assertError(res: { status: number; json: unknown }, status: number, detail: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  const json = res.json as { errors?: { detail?: string } };
  assert.match(String(json.errors?.detail), detail);
}

for (const dialect of DIALECTS) {
  describe(`input the platform could not pass on intact (${dialect})`, () => {
    test('JSON nested deeper than the limit is 400 naming the limit; at the limit it is accepted', () =>
      withCore(dialect, async (core) => {
        const deep = await core.request('POST', '/v1/fn/_/nothing', {
          body: `{"args":{"a":${nested(5000)}}}`,
          headers: { 'content-type': 'application/json' },
        });
        assertError(deep, 400, new RegExp(`nested deeper than ${MAX_JSON_DEPTH} levels`));
        // The body object and "args" and "a" take three levels.
        const fits = await core.request('POST', '/v1/fn/_/nothing', {
          body: `{"args":{"a":${nested(MAX_JSON_DEPTH - 3)}}}`,
          headers: { 'content-type': 'application/json' },
        });
        assertError(fits, 404, /nothing/);
      }));

    test('a number beyond a double is 400, not silently null', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/fn/_/nothing', {
          body: '{"args":{"n":1e400}}',
          headers: { 'content-type': 'application/json' },
        });
        assertError(res, 400, /too large for a double/);
      }));

    test('events nested too deep or with huge numbers are refused and nothing is stored', () =>
      withCore(dialect, async (core) => {
        const code = await watFixture('hello');
        for (const events of [
          `[{"type":"mqtt","params":{"a":${nested(5000)}}}]`,
          '[{"type":"mqtt","params":{"n":-1e999}}]',
        ]) {
          const res = await core.request('POST', '/v1/fn/_', { form: { name: 'deep', code, events } });
          assertError(res, 400, /events (is nested deeper|holds a number)/);
        }
        assert.equal((await core.request('GET', '/v1/fn/_/deep')).status, 404);
      }));

    test('a tag with an unpaired surrogate is refused; a paired one is stored as sent', () =>
      withCore(dialect, async (core) => {
        const code = await watFixture('hello');
        const bad = await core.request('POST', '/v1/fn/_', {
          form: { name: 'sur', code, metadata: '{"tag":"\\ud800"}' },
        });
        assertError(bad, 400, /unpaired surrogates/);
        const good = await core.request('POST', '/v1/fn/_', {
          form: { name: 'sur', code, metadata: '{"tag":"edge-\\ud83d\\ude00"}' },
        });
        assert.equal(good.status, 201);
        const shown = await core.request('GET', '/v1/fn/_/sur');
        assert.equal(shown.json.data.metadata.tag, 'edge-😀');
      }));

    test('an APP script with an unpaired surrogate is refused', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/scripts/app', {
          body: '{"name":"s","script":"- default:\\n  - workers: [\\"w\\ud800\\"]\\n"}',
          headers: { 'content-type': 'application/json' },
        });
        assertError(res, 400, /unpaired UTF-16 surrogate/);
        assert.equal((await core.request('GET', '/v1/scripts/app/s')).status, 404);
      }));

    test('a URL with a broken %-escape is 400 with the API error body', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('GET', '/v1/fn/%E0%A4%A');
        assertError(res, 400, /not a valid url component/);
        assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/);
        const given = await core.request('GET', '/v1/fn/%E0%A4%A', {
          headers: { 'x-request-id': 'abc-123' },
        });
        assert.equal(given.headers['x-request-id'], 'abc-123');
      }));

    test('a JSON body over its limit is 413 naming the limit, before it is parsed', () =>
      withCore(dialect, async (core) => {
        // Not even JSON: the size alone refuses it.
        const body = `{"args":"${'a'.repeat(JSON_BODY_LIMIT_BYTES)}`;
        const res = await core.request('POST', '/v1/fn/_/nothing', {
          body,
          headers: { 'content-type': 'application/json' },
        });
        assertError(
          res,
          413,
          new RegExp(`JSON body is larger than the limit of ${JSON_BODY_LIMIT_BYTES} bytes`),
        );
        // Within it, the body is parsed (and this one is not JSON).
        const small = await core.request('POST', '/v1/fn/_/nothing', {
          body: body.slice(0, 1000),
          headers: { 'content-type': 'application/json' },
        });
        assertError(small, 400, /malformed JSON body/);
      }));

    test('a multipart part without Content-Disposition larger than the parser buffer is 400, not a hang', () =>
      withCore(dialect, async (core) => {
        for (const size of [1000, 17_000, 100_000]) {
          const res = await core.request('POST', '/v1/fn/_', {
            body: Buffer.concat([
              Buffer.from('--XX\r\nContent-Type: application/octet-stream\r\n\r\n'),
              Buffer.alloc(size, 0x61),
              Buffer.from('\r\n--XX--\r\n'),
            ]),
            headers: { 'content-type': 'multipart/form-data; boundary=XX' },
          });
          assert.equal(res.status, 400, `${size}: ${res.body}`);
        }
      }));

    test('a multipart part without a name is 400 saying so', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/fn/_', {
          body: '--XX\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--XX--\r\n',
          headers: { 'content-type': 'multipart/form-data; boundary=XX' },
        });
        assertError(res, 400, /part without a name/);
      }));

    test('rotating a token refuses a body with fields and takes none or {}', () =>
      withCore(dialect, async (core) => {
        assert.equal(
          (await core.request('POST', '/v1/admin/subjects', { json: { subject: { name: 'alice' } } })).status,
          201,
        );
        const withField = await core.request('POST', '/v1/admin/subjects/alice/token', { json: { x: 1 } });
        assertError(withField, 400, /takes no body/);
        assert.equal((await core.request('POST', '/v1/admin/subjects/alice/token')).status, 200);
        assert.equal(
          (await core.request('POST', '/v1/admin/subjects/alice/token', { json: {} })).status,
          200,
        );
        const text = await core.request('POST', '/v1/admin/subjects/alice/token', {
          body: 'x',
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(text.status, 415);
      }));
  });
}
