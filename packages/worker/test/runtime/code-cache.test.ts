import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import { wat, watFixture } from '@funless/testing';

import { codeHash, Runtime } from '../../src/index.js';
import { json, rejectsWith, run, tempDir } from './helpers.js';

async function answering(value: number): Promise<Uint8Array> {
  return wat(`(module
    (import "fl_imps" "__insert_response" (func $r (param i32 i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "${value}")
    (func (export "__invoke") (param i32) (result i32)
      (call $r (i32.const 0) (i32.const ${String(value).length})) (i32.const 0)))`);
}

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, prefix: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name), `${prefix}${e.name}/`);
      else out.push(prefix + e.name);
    }
  };
  await walk(dir, '');
  return out.sort();
}

test('(a_b, c) and (a, b_c) never share a cache entry', async () => {
  const dataDir = await tempDir();
  const runtime = await Runtime.create({ dataDir, threads: 1 });
  try {
    const one = await answering(1);
    const two = await answering(2);
    const first = { module: 'a_b', name: 'c', hash: codeHash(one) };
    const second = { module: 'a', name: 'b_c', hash: codeHash(two) };
    await runtime.store({ ...first, code: one });
    await runtime.store({ ...second, code: two });
    assert.equal((await run(runtime, { ...first, capacityMiB: 64, input: {} })).result, 1);
    assert.equal((await run(runtime, { ...second, capacityMiB: 64, input: {} })).result, 2);
    assert.equal(runtime.has(first), true);
    assert.equal(runtime.has({ ...first, hash: second.hash }), false);
    assert.deepEqual(await files(join(dataDir, 'code')), [
      `a/b_c/${second.hash}.wasm`,
      `a_b/c/${first.hash}.wasm`,
    ]);
  } finally {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('binaries survive a restart, are replaced on update and dropped only for the matching hash', async () => {
  const dataDir = await tempDir();
  const v1 = await answering(1);
  const v2 = await answering(2);
  const ref1 = { module: 'm', name: 'f', hash: codeHash(v1) };
  const ref2 = { ...ref1, hash: codeHash(v2) };
  try {
    let runtime = await Runtime.create({ dataDir, threads: 1 });
    await runtime.store({ ...ref1, code: v1 });
    await runtime.close();

    runtime = await Runtime.create({ dataDir, threads: 1 });
    assert.equal(runtime.has(ref1), true);
    assert.deepEqual(runtime.list(), [ref1]);
    // No code given: it comes from the disk cache.
    assert.equal((await run(runtime, { ...ref1, capacityMiB: 64, input: {} })).result, 1);

    await runtime.store({ ...ref2, code: v2 });
    assert.equal(runtime.has(ref1), false);
    assert.equal(runtime.has(ref2), true);
    assert.deepEqual(await files(join(dataDir, 'code')), [`m/f/${ref2.hash}.wasm`]);
    assert.deepEqual(await runtime.invoke({ ...ref1, capacityMiB: 64, input: json({}) }), {
      type: 'missing',
    });

    // A late drop of the old version must not remove the new one.
    assert.equal(await runtime.drop(ref1), false);
    assert.equal(runtime.has(ref2), true);
    assert.equal((await run(runtime, { ...ref2, capacityMiB: 64, input: {} })).result, 2);
    assert.equal(await runtime.drop(ref2), true);
    assert.equal(runtime.has(ref2), false);
    assert.deepEqual(await runtime.invoke({ ...ref2, capacityMiB: 64, input: json({}) }), {
      type: 'missing',
    });
    assert.deepEqual(await files(join(dataDir, 'code')), []);
    await runtime.close();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('writes are atomic: temporary files of an interrupted write are ignored and cleaned at start', async () => {
  const dataDir = await tempDir();
  try {
    const code = await watFixture('hello');
    const ref = { module: 'm', name: 'half', hash: codeHash(code) };
    const folder = join(dataDir, 'code', 'm', 'half');
    const runtime0 = await Runtime.create({ dataDir, threads: 1 });
    await runtime0.close();
    // What a crash between write and rename leaves behind.
    const { mkdir } = await import('node:fs/promises');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `${ref.hash}.abc123.tmp`), code.subarray(0, 10));
    const runtime = await Runtime.create({ dataDir, threads: 1 });
    try {
      assert.equal(runtime.has(ref), false);
      assert.deepEqual(await files(join(dataDir, 'code')), []);
      await runtime.store({ ...ref, code });
      assert.deepEqual(await files(join(dataDir, 'code')), [`m/half/${ref.hash}.wasm`]);
    } finally {
      await runtime.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('code not held is a missing outcome, not an error; once stored, the same call runs', async () => {
  const dataDir = await tempDir();
  const runtime = await Runtime.create({ dataDir, threads: 1 });
  try {
    const code = await watFixture('hello');
    const ref = { module: 'm', name: 'carried', hash: codeHash(code) };
    const request = { ...ref, capacityMiB: 64, input: json({ name: 'C' }) };
    assert.deepEqual(await runtime.invoke(request), { type: 'missing' });
    await runtime.store({ ...ref, code });
    const out = await runtime.invoke(request);
    assert.equal(out.type, 'result');
    assert.equal(out.type === 'result' && Buffer.from(out.result).toString(), '{"payload":"Hello C!"}');
    assert.equal(runtime.has(ref), true);
  } finally {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('an update evicts the previous version from the compiled cache and from every thread', async () => {
  const dataDir = await tempDir();
  const runtime = await Runtime.create({ dataDir, threads: 2 });
  try {
    const ref = { module: 'm', name: 'updated' };
    let previous: string | undefined;
    for (const value of [1, 2, 3]) {
      const code = await answering(value);
      const hash = codeHash(code);
      await runtime.store({ ...ref, hash, code });
      // Two at once: both threads load the version.
      const runs = await Promise.all(
        [1, 2].map(() => run(runtime, { ...ref, hash, capacityMiB: 64, input: {} })),
      );
      assert.deepEqual(
        runs.map((r) => r.result),
        [value, value],
      );
      assert.equal(runtime.stats().compiled, 1, `only version ${value} stays compiled`);
      assert.ok(runtime.stats().loaded <= 2, `threads hold version ${value} only`);
      if (previous !== undefined) {
        assert.deepEqual(await runtime.invoke({ ...ref, hash: previous, capacityMiB: 64, input: json({}) }), {
          type: 'missing',
        });
      }
      previous = hash;
    }
  } finally {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('code shared by two functions stays compiled while one of them still uses it', async () => {
  const dataDir = await tempDir();
  const runtime = await Runtime.create({ dataDir, threads: 1 });
  try {
    const shared = await answering(7);
    const hash = codeHash(shared);
    await runtime.store({ module: 'm', name: 'a', hash, code: shared });
    await runtime.store({ module: 'm', name: 'b', hash, code: shared });
    const other = await answering(8);
    await runtime.store({ module: 'm', name: 'a', hash: codeHash(other), code: other });
    assert.equal(
      (await run(runtime, { module: 'm', name: 'b', hash, capacityMiB: 64, input: {} })).result,
      7,
    );
    assert.equal(runtime.stats().compiled, 2);
  } finally {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('store refuses a hash that does not match the code, and bad names', async () => {
  const dataDir = await tempDir();
  const runtime = await Runtime.create({ dataDir, threads: 1 });
  try {
    const code = await watFixture('hello');
    await rejectsWith(
      runtime.store({ module: 'm', name: 'f', hash: 'a'.repeat(64), code }),
      'bad_request',
      /SHA-256/,
    );
    await rejectsWith(
      runtime.store({ module: '../x', name: 'f', hash: codeHash(code), code }),
      'bad_request',
      /module/,
    );
    await rejectsWith(
      runtime.store({ module: 'm', name: 'a/b', hash: codeHash(code), code }),
      'bad_request',
      /name/,
    );
    await rejectsWith(runtime.store({ module: 'm', name: 'f', hash: 'XYZ', code }), 'bad_request', /hash/);
    assert.deepEqual(await files(join(dataDir, 'code')), []);
  } finally {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('the cache is owner-only: 0700 directories (an existing looser one tightened), 0600 binaries', async () => {
  const dataDir = await tempDir();
  const cacheDir = join(dataDir, 'code');
  await mkdir(cacheDir, { mode: 0o755 });
  await chmod(cacheDir, 0o755);
  const runtime = await Runtime.create({ dataDir, threads: 1 });
  try {
    const code = await answering(1);
    const ref = { module: 'm', name: 'f', hash: codeHash(code) };
    await runtime.store({ ...ref, code });
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    assert.equal(await mode(cacheDir), 0o700);
    assert.equal(await mode(join(cacheDir, 'm')), 0o700);
    assert.equal(await mode(join(cacheDir, 'm', 'f')), 0o700);
    assert.equal(await mode(join(cacheDir, 'm', 'f', `${ref.hash}.wasm`)), 0o600);
  } finally {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
