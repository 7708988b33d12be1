import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AppScriptCache, defaultPolicy, resolvePolicy } from '../../src/scheduling/index.js';
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

test('the cache reads a script once, then answers without the source until invalidated', async () => {
  const s = source({ pin: PIN_B });
  const cache = new AppScriptCache(s);
  const first = await cache.get('pin');
  assert.ok(first);
  assert.equal(await cache.get('pin'), first);
  assert.equal(cache.peek('pin'), first);
  assert.deepEqual(s.reads, ['pin']);
  s.texts.pin = '- t:\n    - workers: [a]\n';
  cache.invalidate('pin');
  assert.equal(cache.peek('pin'), undefined);
  const second = await cache.get('pin');
  assert.notEqual(second, first);
  assert.deepEqual(s.reads, ['pin', 'pin']);
  assert.equal(await cache.get('gone'), undefined);
});

test('after maxAgeMs the text is read again, and parsed again only if it changed', async () => {
  let clock = 0;
  const s = source({ pin: PIN_B });
  const cache = new AppScriptCache(s, { maxAgeMs: 1000, now: () => clock });
  const first = await cache.get('pin');
  clock = 999;
  assert.equal(cache.peek('pin'), first);
  clock = 1000;
  assert.equal(cache.peek('pin'), undefined, 'stale');
  assert.equal(await cache.get('pin'), first, 'same text: same parsed script');
  assert.equal(s.reads.length, 2);
  clock = 2500;
  s.texts.pin = '- t:\n    - workers: [a]\n';
  const changed = await cache.get('pin');
  assert.notEqual(changed, first);
  clock = 4000;
  delete s.texts.pin;
  assert.equal(await cache.get('pin'), undefined, 'deleted through another Core');
});

test('a load that started before an invalidation does not put back the old script', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const texts: Record<string, string> = { pin: PIN_B };
  const cache = new AppScriptCache({
    async getAppScript(name) {
      const text = texts[name];
      await gate;
      return text === undefined ? undefined : { text };
    },
  });
  const loading = cache.get('pin');
  cache.invalidate('pin');
  release();
  assert.ok(await loading);
  assert.equal(cache.peek('pin'), undefined);
});

test('a stored script that no longer parses is an internal error naming it', async () => {
  const cache = new AppScriptCache(source({ bad: 'not: [a list' }));
  await assert.rejects(cache.get('bad'), {
    code: 'internal',
    message: /stored APP script bad does not parse/,
  });
});
