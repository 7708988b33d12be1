import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ParsedAppScripts, defaultPolicy, resolvePolicy } from '../../src/scheduling/index.js';
import type { AppScript } from '../../src/scheduling/index.js';
import { script, worker } from './helpers.js';

const PIN_B = '- t:\n    - workers: [b]\n';
const workers = [worker('a', { free: 900 }), worker('b', { free: 100 })];
const req = { tag: 't', capacityMiB: 64 };

/** A source of script texts that counts its reads. */
function source(texts: Record<string, string>) {
  const reads: string[] = [];
  return {
    texts,
    reads,
    getAppScript(name: string): Promise<{ text: string } | undefined> {
      reads.push(name);
      const text = texts[name];
      return Promise.resolve(text === undefined ? undefined : { text });
    },
  };
}

const noScripts = (): Promise<AppScript | undefined> => Promise.resolve(undefined);

test('no scheduling, or language "none", is the default policy', async () => {
  assert.equal(await resolvePolicy(undefined, noScripts), defaultPolicy);
  assert.equal(await resolvePolicy({ language: 'none' }, noScripts), defaultPolicy);
});

test('language "app" with a script decides with that script', async () => {
  const policy = await resolvePolicy({ language: 'app', script: 'pin' }, (name) =>
    Promise.resolve(name === 'pin' ? script(PIN_B) : undefined),
  );
  assert.deepEqual(policy(workers, req), { ok: true, worker: 'b' });
  assert.deepEqual(defaultPolicy(workers, req), { ok: true, worker: 'a' }, 'the default policy would differ');
});

for (const [label, scheduling, code, message] of [
  [
    'an unknown language',
    { language: 'lua', script: 'x' },
    'bad_request',
    /unknown scheduling language "lua": use one of "none", "app"/,
  ],
  [
    '"app" without a script',
    { language: 'app' },
    'bad_request',
    /scheduling.script is required with language "app"/,
  ],
  [
    '"none" with a script',
    { language: 'none', script: 'x' },
    'bad_request',
    /needs scheduling.language "app"/,
  ],
  [
    'an unknown script',
    { language: 'app', script: 'missing' },
    'not_found',
    /^APP script missing not found$/,
  ],
] as const) {
  test(`${label} is refused with ${code}`, async () => {
    await assert.rejects(resolvePolicy(scheduling, noScripts), (error: { code: string; message: string }) => {
      assert.equal(error.code, code);
      assert.match(error.message, message);
      return true;
    });
  });
}

test('a script is parsed once per record the store hands out, again when the store hands out another', async () => {
  const s = source({ pin: PIN_B });
  let record = { text: PIN_B };
  const scripts = new ParsedAppScripts({ getAppScript: () => Promise.resolve(record) });
  const first = await scripts.get('pin');
  assert.ok(first);
  assert.equal(await scripts.get('pin'), first, 'the same record: the same parse');
  record = { text: '- t:\n    - workers: [a]\n' };
  const second = await scripts.get('pin');
  assert.notEqual(second, first);
  assert.deepEqual(
    await resolvePolicy({ language: 'app', script: 'pin' }, (n) => scripts.get(n)).then((p) =>
      p(workers, req),
    ),
    { ok: true, worker: 'a' },
  );
  assert.equal(await new ParsedAppScripts(s).get('gone'), undefined);
});

test('a stored script that no longer parses is an internal error naming it', async () => {
  const scripts = new ParsedAppScripts(source({ bad: 'not: [a list' }));
  await assert.rejects(scripts.get('bad'), {
    code: 'internal',
    message: /stored APP script bad does not parse/,
  });
});
