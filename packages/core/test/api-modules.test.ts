import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { watFixture } from '@funless/testing';

import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
import { createTestCore, uniqueName } from './support/test-core.js';
import type { TestCore } from './support/test-core.js';

async function withCore(
  dialect: 'sqlite' | 'postgres',
  body: (core: TestCore, cluster: RecordingCluster) => Promise<void>,
): Promise<void> {
  const cluster = new RecordingCluster(() => Promise.resolve(null));
  const core = await createTestCore(dialect, { cluster });
  try {
    await body(core, cluster);
  } finally {
    await core.close();
  }
}

for (const dialect of DIALECTS) {
  describe(`modules (${dialect})`, () => {
    test('a first start has only the default module _', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('GET', '/v1/fn');
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: [{ name: '_' }] });
        assert.equal(res.headers['x-total-count'], '1');
      }));

    test('create answers 201 with the name, and the list shows it with its count', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('mod');
        const created = await core.request('POST', '/v1/fn', { json: { module: { name } } });
        assert.equal(created.status, 201);
        assert.deepEqual(created.json, { data: { name } });
        const list = await core.request('GET', '/v1/fn', { token: core.guestToken });
        assert.deepEqual(list.json.data, [{ name: '_' }, { name }]);
        assert.equal(list.headers['x-total-count'], '2');
      }));

    test('a duplicate module name is 409', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('mod');
        await core.request('POST', '/v1/fn', { json: { module: { name } } });
        const again = await core.request('POST', '/v1/fn', { json: { module: { name } } });
        assert.equal(again.status, 409);
        assert.equal(again.json.errors.detail, `module ${name} already exists`);
        const underscore = await core.request('POST', '/v1/fn', { json: { module: { name: '_' } } });
        assert.equal(underscore.status, 409);
      }));

    for (const [label, name] of [
      ['empty', ''],
      ['with a dash', 'my-mod'],
      ['with ../', '../etc'],
      ['unicode', 'módulo'],
      ['emoji', '😀'],
      ['161 characters long', 'a'.repeat(161)],
      ['10 000 characters long', 'b'.repeat(10_000)],
    ] as const) {
      test(`a module name ${label} is 400 naming the rule`, () =>
        withCore(dialect, async (core) => {
          const res = await core.request('POST', '/v1/fn', { json: { module: { name } } });
          assert.equal(res.status, 400);
          assert.match(
            res.json.errors.detail,
            /module name .* is invalid: names are 1-160 characters of letters, digits and _/,
          );
        }));
    }

    test('a 160-character name is accepted', () =>
      withCore(dialect, async (core) => {
        const name = 'c'.repeat(160);
        assert.equal((await core.request('POST', '/v1/fn', { json: { module: { name } } })).status, 201);
        assert.equal((await core.request('GET', `/v1/fn/${name}`)).status, 200);
      }));

    for (const [label, json, message] of [
      ['no module key', {}, /module\.name|the body must be/],
      ['module not an object', { module: 'x' }, /the body must be \{"module":\{"name":"my_module"\}\}/],
      ['no name', { module: {} }, /module\.name is missing/],
      ['a number as name', { module: { name: 42 } }, /module name must be a string/],
      ['an unknown field', { module: { name: 'ok' }, extra: 1 }, /unknown field "extra"/],
      ['an array body', [1, 2], /the body must be a JSON object/],
    ] as const) {
      test(`create with ${label} is 400`, () =>
        withCore(dialect, async (core) => {
          const res = await core.request('POST', '/v1/fn', { json });
          assert.equal(res.status, 400);
          assert.match(res.json.errors.detail, message);
        }));
    }

    test('create with malformed JSON is 400', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/fn', {
          body: '{"module": {"name": ',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(res.status, 400);
        assert.match(res.json.errors.detail, /^malformed JSON body/);
      }));

    test('create with a text/plain body is 415', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/fn', {
          body: 'name=x',
          headers: { 'content-type': 'text/plain' },
        });
        assert.equal(res.status, 415);
        assert.match(res.json.errors.detail, /unsupported content type "text\/plain"/);
      }));

    test('create with a multipart body is 415', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/fn', { form: { name: 'x' } });
        assert.equal(res.status, 415);
        assert.match(res.json.errors.detail, /takes a JSON body/);
      }));

    test('show lists the module with its functions', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('mod');
        await core.request('POST', '/v1/fn', { json: { module: { name } } });
        const empty = await core.request('GET', `/v1/fn/${name}`);
        assert.deepEqual(empty.json, { data: { name, functions: [] } });
        await core.request('POST', `/v1/fn/${name}`, {
          form: { name: 'hello', code: await watFixture('hello') },
        });
        const shown = await core.request('GET', `/v1/fn/${name}`);
        assert.equal(shown.status, 200);
        assert.deepEqual(
          shown.json.data.functions.map((f: { name: string; module: string }) => [f.module, f.name]),
          [[name, 'hello']],
        );
      }));

    test('show of an unknown module is 404; of an invalid name 400', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('GET', `/v1/fn/${uniqueName('none')}`);
        assert.equal(res.status, 404);
        assert.match(res.json.errors.detail, /module .* not found/);
        const dots = await core.request('GET', '/v1/fn/..%2F..%2Fetc');
        assert.equal(dots.status, 400);
        assert.match(dots.json.errors.detail, /module name "..\/..\/etc" is invalid/);
        const unicode = await core.request('GET', `/v1/fn/${encodeURIComponent('módulo_ü')}`);
        assert.equal(unicode.status, 400);
        assert.match(unicode.json.errors.detail, /module name "módulo_ü" is invalid/);
        const huge = await core.request('GET', `/v1/fn/${'h'.repeat(10_000)}`);
        assert.equal(huge.status, 400);
        assert.match(huge.json.errors.detail, /module name "h{40}…" is invalid/);
      }));

    test('rename moves the functions and tells the cluster (old reference gone, new one stored)', () =>
      withCore(dialect, async (core, cluster) => {
        const name = uniqueName('mod');
        const newName = uniqueName('mod');
        await core.request('POST', '/v1/fn', { json: { module: { name } } });
        await core.request('POST', `/v1/fn/${name}`, {
          form: { name: 'hello', code: await watFixture('hello') },
        });
        cluster.stored.length = 0;
        const res = await core.request('PUT', `/v1/fn/${name}`, { json: { module: { name: newName } } });
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: { name: newName } });
        assert.equal((await core.request('GET', `/v1/fn/${name}`)).status, 404);
        const moved = await core.request('GET', `/v1/fn/${newName}/hello`);
        assert.equal(moved.status, 200);
        assert.deepEqual(
          cluster.deleted.map((f) => [f.module, f.name]),
          [[name, 'hello']],
        );
        assert.deepEqual(
          cluster.stored.map((s) => [s.fn.module, s.fn.name, s.fn.hash]),
          [[newName, 'hello', moved.json.data.hash]],
        );
      }));

    test('rename errors: unknown 404, taken name 409, default module 400, bad body 400', () =>
      withCore(dialect, async (core) => {
        const a = uniqueName('a');
        const b = uniqueName('b');
        await core.request('POST', '/v1/fn', { json: { module: { name: a } } });
        await core.request('POST', '/v1/fn', { json: { module: { name: b } } });
        const unknown = await core.request('PUT', `/v1/fn/${uniqueName('x')}`, {
          json: { module: { name: 'y' } },
        });
        assert.equal(unknown.status, 404);
        const taken = await core.request('PUT', `/v1/fn/${a}`, { json: { module: { name: b } } });
        assert.equal(taken.status, 409);
        assert.equal(taken.json.errors.detail, `module ${b} already exists`);
        const defaultModule = await core.request('PUT', '/v1/fn/_', { json: { module: { name: 'other' } } });
        assert.equal(defaultModule.status, 400);
        assert.equal(defaultModule.json.errors.detail, 'the default module _ cannot be renamed');
        const bad = await core.request('PUT', `/v1/fn/${a}`, { json: { module: { name: 'no way' } } });
        assert.equal(bad.status, 400);
        const same = await core.request('PUT', `/v1/fn/${a}`, { json: { module: { name: a } } });
        assert.equal(same.status, 200);
      }));

    test('delete answers 204, cascades to the functions and tells the cluster about each', () =>
      withCore(dialect, async (core, cluster) => {
        const name = uniqueName('mod');
        await core.request('POST', '/v1/fn', { json: { module: { name } } });
        const code = await watFixture('hello');
        await core.request('POST', `/v1/fn/${name}`, { form: { name: 'f1', code } });
        await core.request('POST', `/v1/fn/${name}`, { form: { name: 'f2', code } });
        const res = await core.request('DELETE', `/v1/fn/${name}`);
        assert.equal(res.status, 204);
        assert.equal(res.body, '');
        assert.equal((await core.request('GET', `/v1/fn/${name}`)).status, 404);
        assert.deepEqual(cluster.deleted.map((f) => f.name).sort(), ['f1', 'f2']);
        assert.equal(await core.store.getFunction(name, 'f1'), undefined);
        // A module created again with the same name starts empty.
        await core.request('POST', '/v1/fn', { json: { module: { name } } });
        assert.deepEqual((await core.request('GET', `/v1/fn/${name}`)).json.data.functions, []);
      }));

    test('delete errors: unknown 404, default module 400', () =>
      withCore(dialect, async (core) => {
        assert.equal((await core.request('DELETE', `/v1/fn/${uniqueName('x')}`)).status, 404);
        const res = await core.request('DELETE', '/v1/fn/_');
        assert.equal(res.status, 400);
        assert.equal(res.json.errors.detail, 'the default module _ cannot be deleted');
      }));

    test('module routes need a token', () =>
      withCore(dialect, async (core) => {
        for (const [method, url] of [
          ['GET', '/v1/fn'],
          ['POST', '/v1/fn'],
          ['GET', '/v1/fn/_'],
          ['PUT', '/v1/fn/_'],
          ['DELETE', '/v1/fn/_'],
        ] as const) {
          const none = await core.request(method, url, { token: null });
          assert.equal(none.status, 401, `${method} ${url}`);
          const wrong = await core.request(method, url, { token: 'not-a-token' });
          assert.equal(wrong.status, 401, `${method} ${url}`);
          assert.equal(wrong.json.errors.detail, 'invalid token');
        }
      }));
  });
}
