import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';

import { MAX_CAPACITY_MIB, NAME_MAX_LENGTH } from '@funless/protocol';
import { wat, watFixture } from '@funless/testing';

import { summarizeConnections } from '../src/http/function-input.js';
import { OPENAPI_DOCUMENT } from '../src/http/index.js';
import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { requestProblems } from './support/openapi-check.js';
import { createTestCore, encodeForm, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test('an event or sink that connected is "success", as FunLess names it, in the answer and the document', () => {
  const schemas = (OPENAPI_DOCUMENT.components as { schemas: Record<string, unknown> }).schemas;
  const result = schemas.ConnectionResult as { properties: { status: { enum: string[] } } };
  assert.deepEqual(result.properties.status.enum, ['success', 'error']);
  assert.deepEqual(
    summarizeConnections([{ status: 'success' }, { status: 'error', message: 'no' }, { status: 'success' }]),
    { successful: 2, failed: 1, total: 3 },
  );
});

test("capacity's maximum and tag's maxLength are documented from the limits the code enforces", () => {
  type Fields = { capacity: { maximum: number }; tag: { maxLength: number } };
  type Upload = { schema: { properties: { metadata: { contentSchema: { properties: Fields } } } } };
  const doc = OPENAPI_DOCUMENT as unknown as {
    components: { schemas: { Metadata: { properties: Fields } } };
    paths: Record<string, Record<string, { requestBody: { content: Record<string, Upload> } }>>;
  };
  const shown = doc.components.schemas.Metadata.properties;
  assert.equal(shown.capacity.maximum, MAX_CAPACITY_MIB);
  assert.equal(shown.tag.maxLength, NAME_MAX_LENGTH);
  for (const [method, path] of [
    ['post', '/v1/fn/{mod}'],
    ['put', '/v1/fn/{mod}/{fn}'],
  ] as const) {
    const form = doc.paths[path]?.[method]?.requestBody.content['multipart/form-data'];
    const sent = form?.schema.properties.metadata.contentSchema.properties;
    assert.ok(sent, `${method} ${path} documents its metadata part`);
    assert.equal(sent.capacity.maximum, MAX_CAPACITY_MIB, `${method} ${path}`);
    assert.equal(sent.tag.maxLength, NAME_MAX_LENGTH, `${method} ${path}`);
  }
});

const COMMAND = '(module (memory (export "memory") 1) (func (export "_start")))';

async function withModule(
  dialect: 'sqlite' | 'postgres',
  body: (core: TestCore, module: string, cluster: RecordingCluster) => Promise<void>,
): Promise<void> {
  const cluster = new RecordingCluster(() => Promise.resolve(null));
  const core = await createTestCore(dialect, { cluster });
  try {
    const module = uniqueName('mod');
    assert.equal((await core.request('POST', '/v1/fn', { json: { module: { name: module } } })).status, 201);
    await body(core, module, cluster);
  } finally {
    await core.close();
  }
}

for (const dialect of DIALECTS) {
  describe(`functions (${dialect})`, () => {
    test('the largest capacity and the longest tag are taken, one more is refused by the Core and the document', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        const upload = (name: string, metadata: object) => ({
          form: { name, code, metadata: JSON.stringify(metadata) },
        });
        const longest = 't'.repeat(NAME_MAX_LENGTH);
        const ok = upload('at_limits', { tag: longest, capacity: MAX_CAPACITY_MIB });
        assert.equal((await core.request('POST', `/v1/fn/${module}`, ok)).status, 201);
        for (const [name, metadata, message] of [
          [
            'big',
            { capacity: MAX_CAPACITY_MIB + 1 },
            /metadata\.capacity must be a whole number of MiB from 1 to 4096/,
          ],
          ['long', { tag: `${longest}t` }, /metadata\.tag must be a string of 1-160 characters/],
        ] as const) {
          const sent = upload(name, metadata);
          const { body, contentType } = await encodeForm(sent.form);
          const problems = await requestProblems({
            method: 'POST',
            url: `/v1/fn/${module}`,
            headers: { 'content-type': contentType },
            payload: body,
          });
          assert.match(problems.join('; '), /the multipart part metadata: /, `the document refuses ${name}`);
          const res = await core.request('POST', `/v1/fn/${module}`, sent);
          assert.equal(res.status, 400, res.body);
          assert.match(res.json.errors.detail, message);
        }
      }));

    test('create answers 201 with name, module, hash, size, metadata and pushes the code', () =>
      withModule(dialect, async (core, module, cluster) => {
        const code = await watFixture('hello');
        const res = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'hello', code, metadata: '{"tag":"edge","capacity":8}' },
        });
        assert.equal(res.status, 201);
        const data = res.json.data;
        assert.equal(data.name, 'hello');
        assert.equal(data.module, module);
        assert.equal(data.hash, sha256(code));
        assert.equal(data.size, code.byteLength);
        assert.deepEqual(data.metadata, { tag: 'edge', capacity: 8 });
        assert.equal(data.missing_workers, undefined);
        assert.equal(cluster.stored.length, 1);
        const pushed = cluster.stored[0];
        assert.equal(pushed?.wait, true);
        assert.equal(pushed?.fn.hash, sha256(code));
        assert.equal(pushed?.fn.capacityMiB, 8);
        assert.equal(pushed?.fn.tag, 'edge');
        assert.deepEqual(Buffer.from(pushed?.fn.code ?? []), Buffer.from(code));
      }));

    test('metadata defaults to tag "default" and 64 MiB; the code is stored byte for byte', () =>
      withModule(dialect, async (core, module) => {
        const code = await wat(COMMAND);
        const res = await core.request('POST', `/v1/fn/${module}`, { form: { name: 'cmd', code } });
        assert.equal(res.status, 201);
        assert.deepEqual(res.json.data.metadata, { tag: 'default', capacity: 64 });
        const stored = await core.store.getFunctionWithCode(module, 'cmd');
        assert.deepEqual(Buffer.from(stored?.code ?? []), Buffer.from(code));
      }));

    test('wait_for_workers "false" is parsed as false; anything else but "true" is 400', () =>
      withModule(dialect, async (core, module, cluster) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'a', code, wait_for_workers: 'false' },
        });
        assert.equal(cluster.stored[0]?.wait, false);
        await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'b', code, wait_for_workers: 'true' },
        });
        assert.equal(cluster.stored[1]?.wait, true);
        const bad = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'c', code, wait_for_workers: 'yes' },
        });
        assert.equal(bad.status, 400);
        assert.equal(bad.json.errors.detail, 'wait_for_workers must be "true" or "false", got "yes"');
      }));

    test('Workers that missed the push are listed in the answer', () =>
      withModule(dialect, async (core, module, cluster) => {
        cluster.pushReport = { acknowledged: ['w1'], missing: [{ worker: 'w2', reason: 'timed out' }] };
        const res = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'hello', code: await watFixture('hello') },
        });
        assert.equal(res.status, 201);
        assert.deepEqual(res.json.data.missing_workers, [{ worker: 'w2', reason: 'timed out' }]);
      }));

    test('valid events and sinks are stored and connected; an invalid entry is a 207 per-item error, not stored', () =>
      withModule(dialect, async (core, module) => {
        const res = await core.request('POST', `/v1/fn/${module}`, {
          form: {
            name: 'hello',
            code: await watFixture('hello'),
            events:
              '[{"type":"mqtt","params":{"topic":"t1"}},{"nope":true},{"type":"schedule","params":{"cron":"0 0 1 1 *"}}]',
            sinks: '[{"type":"couchdb","params":{"url":"db"}}]',
          },
        });
        assert.equal(res.status, 207);
        assert.deepEqual(res.json.data.events, [
          { status: 'error', message: 'events[0].params.host is missing: give a non-empty string (mqtt)' },
          {
            status: 'error',
            message: 'events[1] must be an object with a string "type" and an object "params"',
          },
          { status: 'success' },
        ]);
        assert.deepEqual(res.json.data.events_metadata, { successful: 1, failed: 2, total: 3 });
        assert.deepEqual(res.json.data.sinks, [
          { status: 'error', message: 'sinks[0].params.url is not a valid URL: "db" (couchdb)' },
        ]);
        const shown = await core.request('GET', `/v1/fn/${module}/hello`);
        assert.deepEqual(shown.json.data.events, [
          {
            type: 'schedule',
            params: { cron: '0 0 1 1 *' },
            state: 'connected',
            counters: { messages_received: 0, invocations_started: 0, messages_dropped: 0 },
          },
        ]);
        assert.deepEqual(shown.json.data.sinks, []);
      }));

    test('events that are not a JSON array are 400', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        const notJson = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'a', code, events: '[{' },
        });
        assert.equal(notJson.status, 400);
        assert.match(notJson.json.errors.detail, /^events is not valid JSON/);
        const notArray = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'a', code, sinks: '{}' },
        });
        assert.equal(notArray.status, 400);
        assert.match(notArray.json.errors.detail, /^sinks must be a JSON array/);
      }));

    test('a duplicate function name is 409', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'hello', code } });
        const res = await core.request('POST', `/v1/fn/${module}`, { form: { name: 'hello', code } });
        assert.equal(res.status, 409);
        assert.equal(res.json.errors.detail, `function ${module}/hello already exists`);
      }));

    test('the same function name in two modules is fine', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        assert.equal(
          (await core.request('POST', `/v1/fn/${module}`, { form: { name: 'x', code } })).status,
          201,
        );
        assert.equal((await core.request('POST', '/v1/fn/_', { form: { name: 'x', code } })).status, 201);
      }));

    test('creating in an unknown module is 404', () =>
      withModule(dialect, async (core) => {
        const res = await core.request('POST', `/v1/fn/${uniqueName('none')}`, {
          form: { name: 'hello', code: await watFixture('hello') },
        });
        assert.equal(res.status, 404);
        assert.match(res.json.errors.detail, /module .* not found/);
      }));

    for (const [label, form, message] of [
      ['no name part', { code: 'CODE' }, /missing multipart part "name"/],
      ['no code part', { name: 'f' }, /missing multipart part "code"/],
      [
        'a name with ../',
        { name: '../../etc/passwd', code: 'CODE' },
        /function name "..\/..\/etc\/passwd" is invalid/,
      ],
      ['a unicode name', { name: 'función', code: 'CODE' }, /function name "función" is invalid/],
      [
        'a huge name',
        { name: 'x'.repeat(5000), code: 'CODE' },
        /function name "x{40}…" is invalid: names are 1-160/,
      ],
      ['an unknown part', { name: 'f', code: 'CODE', colour: 'blue' }, /unknown multipart part "colour"/],
      [
        'metadata that is not JSON',
        { name: 'f', code: 'CODE', metadata: '{tag' },
        /^metadata is not valid JSON/,
      ],
      [
        'metadata with an unknown field',
        { name: 'f', code: 'CODE', metadata: '{"cpu":1}' },
        /metadata has an unknown field "cpu"/,
      ],
      [
        'a zero capacity',
        { name: 'f', code: 'CODE', metadata: '{"capacity":0}' },
        /metadata\.capacity must be a whole number of MiB from 1 to 4096, got 0/,
      ],
      [
        'a fractional capacity',
        { name: 'f', code: 'CODE', metadata: '{"capacity":1.5}' },
        /metadata\.capacity must be a whole number/,
      ],
      ['an empty tag', { name: 'f', code: 'CODE', metadata: '{"tag":""}' }, /metadata\.tag must be a string/],
      [
        'a tag with a NUL character',
        { name: 'f', code: 'CODE', metadata: '{"tag":"a\\u0000b"}' },
        /metadata\.tag must be a string of 1-160 characters without control characters/,
      ],
      [
        'a text file as code',
        { name: 'f', code: 'hello, I am not wasm\n' },
        /code is not a WebAssembly binary/,
      ],
    ] as const) {
      test(`create with ${label} is 400`, () =>
        withModule(dialect, async (core, module) => {
          const code = await watFixture('hello');
          const parts: Record<string, string | Uint8Array> = { ...form };
          if (parts.code === 'CODE') parts.code = code;
          const res = await core.request('POST', `/v1/fn/${module}`, { form: parts });
          assert.equal(res.status, 400, res.body);
          assert.match(res.json.errors.detail, message);
          assert.equal((await core.request('GET', `/v1/fn/${module}`)).json.data.functions.length, 0);
        }));
    }

    test('a truncated Wasm file is 400', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        const res = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'f', code: code.subarray(0, code.byteLength / 2) },
        });
        assert.equal(res.status, 400);
        assert.match(res.json.errors.detail, /code is not a valid WebAssembly module/);
      }));

    test('a module importing an unknown function is 400 naming the import', () =>
      withModule(dialect, async (core, module) => {
        const code = await wat(`(module (import "env" "foo" (func)) (memory (export "memory") 1)
          (func (export "__invoke") (param i32) (result i32) (i32.const 0)))`);
        const res = await core.request('POST', `/v1/fn/${module}`, { form: { name: 'f', code } });
        assert.equal(res.status, 400);
        assert.match(res.json.errors.detail, /imports env\.foo, which the platform does not provide/);
      }));

    test('a capacity smaller than the minimum memory is 400', () =>
      withModule(dialect, async (core, module) => {
        const code = await wat('(module (memory (export "memory") 48) (func (export "_start")))');
        const res = await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'f', code, metadata: '{"capacity":2}' },
        });
        assert.equal(res.status, 400);
        assert.match(res.json.errors.detail, /minimum memory of 3 MiB .* more than its capacity of 2 MiB/);
      }));

    test('JSON instead of multipart is 415', () =>
      withModule(dialect, async (core, module) => {
        const res = await core.request('POST', `/v1/fn/${module}`, { json: { name: 'f' } });
        assert.equal(res.status, 415);
        assert.match(res.json.errors.detail, /multipart\/form-data/);
      }));

    test('a malformed multipart body is 400', () =>
      withModule(dialect, async (core, module) => {
        const res = await core.request('POST', `/v1/fn/${module}`, {
          body: '--XYZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nf\r\n--XYZ\r\nContent-Disposition: form-data; name="code"; filename="a"\r\n\r\nAAAA',
          headers: { 'content-type': 'multipart/form-data; boundary=XYZ' },
        });
        assert.ok([400].includes(res.status), res.body);
        const noBoundary = await core.request('POST', `/v1/fn/${module}`, {
          body: 'x',
          headers: { 'content-type': 'multipart/form-data' },
        });
        assert.equal(noBoundary.status, 400, noBoundary.body);
        assert.match(noBoundary.json.errors.detail, /malformed multipart body/);
      }));

    test('show answers hash, size, metadata and timestamps; unknown function or module 404', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'hello', code } });
        const res = await core.request('GET', `/v1/fn/${module}/hello`, { token: core.guestToken });
        assert.equal(res.status, 200);
        assert.equal(res.json.data.hash, sha256(code));
        assert.equal(res.json.data.size, code.byteLength);
        assert.ok(Date.parse(res.json.data.created_at) <= Date.parse(res.json.data.updated_at));
        const noFn = await core.request('GET', `/v1/fn/${module}/nope`);
        assert.equal(noFn.status, 404);
        assert.equal(noFn.json.errors.detail, `function ${module}/nope not found`);
        const noMod = await core.request('GET', '/v1/fn/nomod_zz/hello');
        assert.equal(noMod.status, 404);
        assert.equal(noMod.json.errors.detail, 'module nomod_zz not found');
        const huge = await core.request('GET', `/v1/fn/${module}/${'y'.repeat(3000)}`);
        assert.equal(huge.status, 400);
      }));

    test('update of the code changes the hash, drops the old version and pushes the new one', () =>
      withModule(dialect, async (core, module, cluster) => {
        const first = await watFixture('hello');
        const second = await wat(COMMAND);
        const created = await core.request('POST', `/v1/fn/${module}`, { form: { name: 'f', code: first } });
        const res = await core.request('PUT', `/v1/fn/${module}/f`, { form: { code: second } });
        assert.equal(res.status, 200);
        assert.equal(res.json.data.hash, sha256(second));
        assert.notEqual(res.json.data.hash, created.json.data.hash);
        assert.equal(res.json.data.size, second.byteLength);
        assert.equal(res.json.data.created_at, created.json.data.created_at);
        assert.deepEqual(
          cluster.deleted.map((f) => f.hash),
          [sha256(first)],
        );
        assert.equal(cluster.stored.at(-1)?.fn.hash, sha256(second));
      }));

    test('update of the metadata merges it and keeps the code', () =>
      withModule(dialect, async (core, module, cluster) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, {
          form: { name: 'f', code, metadata: '{"tag":"a"}' },
        });
        const res = await core.request('PUT', `/v1/fn/${module}/f`, {
          form: { metadata: '{"capacity":2}', wait_for_workers: 'false' },
        });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json.data.metadata, { tag: 'a', capacity: 2 });
        assert.equal(res.json.data.hash, sha256(code));
        assert.equal(cluster.deleted.length, 0);
        assert.deepEqual(
          cluster.stored.map((s) => [s.fn.capacityMiB, s.wait]),
          [
            [64, true],
            [2, false],
          ],
        );
      }));

    test('update of the capacity below the stored code minimum memory is 400', () =>
      withModule(dialect, async (core, module) => {
        const code = await wat('(module (memory (export "memory") 32) (func (export "_start")))');
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'f', code } });
        const res = await core.request('PUT', `/v1/fn/${module}/f`, { form: { metadata: '{"capacity":1}' } });
        assert.equal(res.status, 400);
        assert.match(res.json.errors.detail, /more than its capacity of 1 MiB/);
        assert.equal((await core.request('GET', `/v1/fn/${module}/f`)).json.data.metadata.capacity, 64);
      }));

    test('rename by update moves the function; onto an existing name is 409', () =>
      withModule(dialect, async (core, module, cluster) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'a', code } });
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'b', code } });
        const taken = await core.request('PUT', `/v1/fn/${module}/a`, { form: { name: 'b' } });
        assert.equal(taken.status, 409);
        assert.equal(taken.json.errors.detail, `function ${module}/b already exists`);
        const res = await core.request('PUT', `/v1/fn/${module}/a`, { form: { name: 'c' } });
        assert.equal(res.status, 200);
        assert.equal(res.json.data.name, 'c');
        assert.equal((await core.request('GET', `/v1/fn/${module}/a`)).status, 404);
        assert.equal((await core.request('GET', `/v1/fn/${module}/c`)).status, 200);
        assert.deepEqual(
          cluster.deleted.map((f) => f.name),
          ['a'],
        );
        assert.equal(cluster.stored.at(-1)?.fn.name, 'c');
      }));

    test('update errors: nothing to update 400, unknown function 404, invalid code 400, JSON 415', () =>
      withModule(dialect, async (core, module) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'f', code } });
        const nothing = await core.request('PUT', `/v1/fn/${module}/f`, {
          form: { wait_for_workers: 'true' },
        });
        assert.equal(nothing.status, 400);
        assert.match(nothing.json.errors.detail, /^nothing to update/);
        const unknown = await core.request('PUT', `/v1/fn/${module}/zz`, { form: { code } });
        assert.equal(unknown.status, 404);
        const text = await core.request('PUT', `/v1/fn/${module}/f`, { form: { code: 'text' } });
        assert.equal(text.status, 400);
        assert.match(text.json.errors.detail, /not a WebAssembly binary/);
        const json = await core.request('PUT', `/v1/fn/${module}/f`, { json: { name: 'g' } });
        assert.equal(json.status, 415);
        const badName = await core.request('PUT', `/v1/fn/${module}/f`, { form: { name: 'a/b' } });
        assert.equal(badName.status, 400);
      }));

    test('delete answers 204 and tells the cluster; again is 404', () =>
      withModule(dialect, async (core, module, cluster) => {
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${module}`, { form: { name: 'f', code } });
        const res = await core.request('DELETE', `/v1/fn/${module}/f`);
        assert.equal(res.status, 204);
        assert.deepEqual(
          cluster.deleted.map((f) => [f.module, f.name, f.hash]),
          [[module, 'f', sha256(code)]],
        );
        const again = await core.request('DELETE', `/v1/fn/${module}/f`);
        assert.equal(again.status, 404);
        const noModule = await core.request('DELETE', '/v1/fn/zz_none/f');
        assert.equal(noModule.status, 404);
        assert.equal(noModule.json.errors.detail, 'module zz_none not found');
      }));

    test('an upload over the body limit is 413', async () => {
      const core = await createTestCore(dialect, { core: { bodyLimitBytes: 1024 * 1024 } });
      try {
        const big = new Uint8Array(1024 * 1024 + 10);
        big.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
        const res = await core.request('POST', '/v1/fn/_', { form: { name: 'big', code: big } });
        assert.equal(res.status, 413);
        assert.match(res.json.errors.detail, /larger than the limit of 1048576 bytes/);
        const json = await core.request('POST', '/v1/fn', {
          body: JSON.stringify({ module: { name: 'x'.repeat(1024 * 1024) } }),
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(json.status, 413);
      } finally {
        await core.close();
      }
    });
  });
}
