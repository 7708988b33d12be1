import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { watFixture } from '@funless/testing';

import type { WorkerView } from '../src/scheduling/index.js';
import { DIALECTS } from './support/databases.js';
import { RecordingCluster } from './support/recording-cluster.js';
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

const PIN_A = `# tag t goes to worker a
- t:
    - workers: [a]
- default:
    - workers: "*"
      strategy: platform
`;

const BROKEN = `- t:
    - workers: a
      strategy: fastest
      invalidate:
        capacity_used: 150%
- t:
    - strategy: random
`;

function view(name: string): WorkerView {
  return {
    name,
    tag: 'default',
    memoryTotalMiB: 1024,
    memoryFreeMiB: 1024,
    inFlight: 0,
    runningTags: new Map(),
  };
}

for (const dialect of DIALECTS) {
  describe(`APP scripts (${dialect})`, () => {
    test('a first start has no scripts', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('GET', '/v1/scripts/app');
        assert.equal(res.status, 200);
        assert.deepEqual(res.json, { data: [] });
        assert.equal(res.headers['x-total-count'], '0');
      }));

    test('JSON upload answers 201 with the text as uploaded and the parsed form; list and show agree', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        const created = await core.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
        assert.equal(created.status, 201);
        assert.equal(created.json.data.name, name);
        assert.equal(created.json.data.script, PIN_A);
        assert.deepEqual(created.json.data.parsed, [
          {
            tag: 't',
            followup: 'fail',
            blocks: [
              {
                workers: ['a'],
                strategy: 'best-first',
                invalidate: { capacity_used: null, max_concurrent_invocations: null },
                affinity: [],
              },
            ],
          },
          {
            tag: 'default',
            followup: 'fail',
            blocks: [
              {
                workers: '*',
                strategy: 'platform',
                invalidate: { capacity_used: null, max_concurrent_invocations: null },
                affinity: [],
              },
            ],
          },
        ]);
        const shown = await core.request('GET', `/v1/scripts/app/${name}`, { token: core.guestToken });
        assert.equal(shown.status, 200);
        assert.deepEqual(shown.json, created.json);
        const list = await core.request('GET', '/v1/scripts/app');
        assert.deepEqual(list.json, { data: [{ name }] });
        assert.equal(list.headers['x-total-count'], '1');
      }));

    test('multipart upload with name and file works as FunLess sends it', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        const res = await core.request('POST', '/v1/scripts/app', {
          form: { name, file: new TextEncoder().encode(PIN_A) },
        });
        assert.equal(res.status, 201);
        assert.equal(res.json.data.script, PIN_A);
      }));

    test('a script sent as a JSON structure is accepted and stored as that JSON', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        const script = [{ t: [{ workers: ['a', 'b'], strategy: 'random' }], followup: 'default' }];
        const res = await core.request('POST', '/v1/scripts/app', { json: { name, script } });
        assert.equal(res.status, 201);
        assert.deepEqual(JSON.parse(res.json.data.script), script);
        assert.equal(res.json.data.parsed[0].blocks[0].strategy, 'random');
      }));

    test('a duplicate name is 409', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        await core.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
        const again = await core.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
        assert.equal(again.status, 409);
        assert.equal(again.json.errors.detail, `APP script ${name} already exists`);
      }));

    test('an invalid script is 422 with every problem listed, in the detail and one by one', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        const res = await core.request('POST', '/v1/scripts/app', { json: { name, script: BROKEN } });
        assert.equal(res.status, 422);
        const problems = res.json.errors.problems as {
          kind: string;
          tag?: string;
          block?: number;
          field?: string;
        }[];
        assert.deepEqual(
          problems.map((p) => [p.kind, p.tag, p.block, p.field]),
          [
            ['bad_workers', 't', 1, 'workers'],
            ['unknown_strategy', 't', 1, 'strategy'],
            ['bad_capacity_used', 't', 1, 'invalidate.capacity_used'],
            ['duplicate_tag', 't', undefined, undefined],
            ['missing_workers', 't', 1, 'workers'],
          ],
        );
        assert.match(res.json.errors.detail, /^invalid APP script, 5 problems: /);
        for (const p of res.json.errors.problems) assert.ok(res.json.errors.detail.includes(p.message));
        assert.equal((await core.request('GET', `/v1/scripts/app/${name}`)).status, 404, 'nothing stored');
      }));

    test('text that is not YAML is 422 naming the line', () =>
      withCore(dialect, async (core) => {
        const res = await core.request('POST', '/v1/scripts/app', {
          form: { name: uniqueName('script'), file: new TextEncoder().encode('- t: [a, b\n') },
        });
        assert.equal(res.status, 422);
        assert.equal(res.json.errors.problems[0].kind, 'not_yaml');
        assert.match(res.json.errors.detail, /line \d+, column \d+: not valid YAML/);
      }));

    for (const [label, json, detail] of [
      ['without a name', { script: PIN_A }, /the script name is missing/],
      ['without a script', { name: 'x' }, /the script is missing/],
      ['with a bad name', { name: 'no-dashes', script: PIN_A }, /script name "no-dashes" is invalid/],
      ['with an unknown field', { name: 'x', script: PIN_A, language: 'app' }, /unknown field "language"/],
      ['with a script of the wrong type', { name: 'x', script: 42 }, /script must be the YAML text/],
      ['that is not an object', [1, 2], /the body must be a JSON object/],
    ] as const) {
      test(`an upload ${label} is 400`, () =>
        withCore(dialect, async (core) => {
          const res = await core.request('POST', '/v1/scripts/app', { json });
          assert.equal(res.status, 400);
          assert.match(res.json.errors.detail, detail);
        }));
    }

    test('a file that is not UTF-8 is 400, a script over the limit 413', () =>
      withCore(dialect, async (core) => {
        const bad = await core.request('POST', '/v1/scripts/app', {
          form: { name: uniqueName('s'), file: new Uint8Array([0x2d, 0x20, 0xff, 0xfe]) },
        });
        assert.equal(bad.status, 400);
        assert.match(bad.json.errors.detail, /not UTF-8/);
        const big = `# ${'x'.repeat(300 * 1024)}\n${PIN_A}`;
        const large = await core.request('POST', '/v1/scripts/app', {
          json: { name: uniqueName('s'), script: big },
        });
        assert.equal(large.status, 413);
        assert.match(large.json.errors.detail, /the limit is 262144/);
      }));

    test('without a token the routes are 401', () =>
      withCore(dialect, async (core) => {
        assert.equal((await core.request('GET', '/v1/scripts/app', { token: null })).status, 401);
        const post = await core.request('POST', '/v1/scripts/app', {
          json: { name: 'x', script: PIN_A },
          token: null,
        });
        assert.equal(post.status, 401);
      }));

    test('unknown scripts are 404 on show, update and delete', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('nope');
        for (const method of ['GET', 'DELETE']) {
          const res = await core.request(method, `/v1/scripts/app/${name}`);
          assert.equal(res.status, 404, method);
          assert.equal(res.json.errors.detail, `APP script ${name} not found`);
        }
        const put = await core.request('PUT', `/v1/scripts/app/${name}`, { json: { script: PIN_A } });
        assert.equal(put.status, 404);
        const rename = await core.request('PUT', `/v1/scripts/app/${name}`, { json: { name: 'other' } });
        assert.equal(rename.status, 404);
      }));

    test('PUT replaces the text; an invalid replacement is 422 and keeps the old one', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        await core.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
        const next = '- t:\n    - workers: [b]\n';
        const put = await core.request('PUT', `/v1/scripts/app/${name}`, {
          form: { file: new TextEncoder().encode(next) },
        });
        assert.equal(put.status, 200);
        assert.equal(put.json.data.script, next);
        const refused = await core.request('PUT', `/v1/scripts/app/${name}`, { json: { script: BROKEN } });
        assert.equal(refused.status, 422);
        assert.equal((await core.request('GET', `/v1/scripts/app/${name}`)).json.data.script, next);
        const empty = await core.request('PUT', `/v1/scripts/app/${name}`, { json: {} });
        assert.equal(empty.status, 400);
        assert.match(empty.json.errors.detail, /nothing to update/);
      }));

    test('PUT with a name renames; a taken name is 409', () =>
      withCore(dialect, async (core) => {
        const [a, b, c] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
        await core.request('POST', '/v1/scripts/app', { json: { name: a, script: PIN_A } });
        await core.request('POST', '/v1/scripts/app', { json: { name: b, script: PIN_A } });
        const taken = await core.request('PUT', `/v1/scripts/app/${a}`, { json: { name: b } });
        assert.equal(taken.status, 409);
        const renamed = await core.request('PUT', `/v1/scripts/app/${a}`, { json: { name: c } });
        assert.equal(renamed.status, 200);
        assert.equal(renamed.json.data.name, c);
        assert.equal(renamed.json.data.script, PIN_A);
        assert.equal((await core.request('GET', `/v1/scripts/app/${a}`)).status, 404);
        assert.equal((await core.request('GET', `/v1/scripts/app/${c}`)).status, 200);
      }));

    test('DELETE answers 204 and the script is gone', () =>
      withCore(dialect, async (core) => {
        const name = uniqueName('script');
        await core.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
        const res = await core.request('DELETE', `/v1/scripts/app/${name}`);
        assert.equal(res.status, 204);
        assert.equal((await core.request('GET', `/v1/scripts/app/${name}`)).status, 404);
        assert.equal((await core.request('GET', '/v1/scripts/app')).headers['x-total-count'], '0');
      }));

    test('scripts survive a restart of the Core', async () => {
      const first = await createTestCore(dialect);
      const name = uniqueName('script');
      await first.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
      await first.close(true);
      const second = await createTestCore(dialect, { db: first.db });
      try {
        const res = await second.request('GET', `/v1/scripts/app/${name}`);
        assert.equal(res.status, 200);
        assert.equal(res.json.data.script, PIN_A);
      } finally {
        await second.close();
      }
    });

    test('invocations see uploads, updates and deletes at once', async () => {
      const cluster = new RecordingCluster(() => Promise.resolve({}));
      const core = await createTestCore(dialect, { cluster });
      try {
        const created = await core.request('POST', '/v1/fn/_', {
          form: { name: uniqueName('fn'), code: await watFixture('hello'), metadata: '{"tag":"t"}' },
        });
        assert.equal(created.status, 201, created.body);
        const url = `/v1/fn/_/${created.json.data.name}`;
        const workers = [view('a'), view('b')];
        const name = uniqueName('script');
        const invoke = () =>
          core.request('POST', url, { json: { scheduling: { language: 'app', script: name } } });
        /** The Worker the policy handed to the cluster by the last invocation chooses. */
        const chosen = () => {
          const call = cluster.invocations.at(-1);
          return call?.options?.policy?.(workers, call.fn);
        };
        assert.equal((await invoke()).status, 404);
        await core.request('POST', '/v1/scripts/app', { json: { name, script: PIN_A } });
        assert.equal((await invoke()).status, 200);
        assert.deepEqual(chosen(), { ok: true, worker: 'a' });
        await core.request('PUT', `/v1/scripts/app/${name}`, {
          json: { script: '- t:\n    - workers: [b]\n' },
        });
        assert.equal((await invoke()).status, 200);
        assert.deepEqual(chosen(), { ok: true, worker: 'b' });
        await core.request('DELETE', `/v1/scripts/app/${name}`);
        const gone = await invoke();
        assert.equal(gone.status, 404);
        assert.equal(gone.json.errors.detail, `APP script ${name} not found`);
        assert.equal(cluster.invocations.length, 2);
      } finally {
        await core.close();
      }
    });
  });
}
