import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cachedBuild } from '../src/fixture-cache.js';
import { asFixture, assemblyScript, c, cFixture, cToolchain } from '../src/index.js';

const imports = (code: Uint8Array) =>
  WebAssembly.Module.imports(new WebAssembly.Module(code)).map((i) => `${i.module}.${i.name}`);
const exports = (code: Uint8Array) =>
  WebAssembly.Module.exports(new WebAssembly.Module(code)).map((e) => e.name);

test('AssemblyScript fixtures build against the raw fl_imps imports only', async () => {
  const code = await asFixture('console-log');
  assert.deepEqual(imports(code).sort(), ['fl_imps.__console_log', 'fl_imps.__insert_response']);
  assert.ok(exports(code).includes('__invoke') && exports(code).includes('memory'));
});

test('C fixtures build with clang and wasi-libc as WASI commands or reactors', async (t) => {
  t.diagnostic(`C toolchain: ${await cToolchain()}`);
  const echo = await cFixture('echo');
  assert.ok(exports(echo).includes('_start'));
  assert.ok(imports(echo).every((i) => i.startsWith('wasi_snapshot_preview1.')));
  const realistic = await cFixture('realistic');
  assert.ok(exports(realistic).includes('_initialize') && exports(realistic).includes('__invoke'));
  // Some hundreds of KB, whichever clang built it (Debian's 14 gives ~256 KB, the npm 22 ~181 KB).
  assert.ok(realistic.length > 150_000, `realistic is only ${realistic.length} bytes`);
});

test('builds are cached by what goes into them: the same key is built once, another key again', async () => {
  const key = `cache-probe ${process.pid} ${Date.now()}`;
  let builds = 0;
  const build = () => Promise.resolve(Uint8Array.of(0, 0x61, 0x73, 0x6d, ++builds));
  const first = await cachedBuild('cache-probe', key, build);
  const second = await cachedBuild('cache-probe', key, build);
  assert.equal(builds, 1, 'the second call was served from the cache');
  assert.deepEqual(second, first);
  assert.deepEqual(
    await cachedBuild('cache-probe', `${key} changed`, build),
    Uint8Array.of(0, 0x61, 0x73, 0x6d, 2),
  );
  assert.equal(builds, 2);
});

test('the npm C toolchain builds the fixtures where Debian clang is absent', async () => {
  const previous = process.env.FL_TEST_C_TOOLCHAIN;
  process.env.FL_TEST_C_TOOLCHAIN = 'npm';
  try {
    assert.equal(await cToolchain(), 'npm');
    const echo = await cFixture('echo');
    assert.ok(exports(echo).includes('_start'));
    assert.ok(imports(echo).every((i) => i.startsWith('wasi_snapshot_preview1.')));
    await assert.rejects(
      c('int main( { return 0; }', 'broken-c-npm'),
      /clang failed for broken-c-npm: .*error/s,
    );
  } finally {
    if (previous === undefined) delete process.env.FL_TEST_C_TOOLCHAIN;
    else process.env.FL_TEST_C_TOOLCHAIN = previous;
  }
});

test('build errors name the fixture and carry the compiler output', async () => {
  await assert.rejects(
    assemblyScript('export function broken(: i32 {', 'broken-as'),
    /asc failed for broken-as/,
  );
  await assert.rejects(c('int main( { return 0; }', 'broken-c'), /clang failed for broken-c/);
});
