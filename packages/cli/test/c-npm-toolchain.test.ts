// `fl fn build -l c` on a machine without Debian's clang: the npm toolchain (@yowasp/clang) builds
// the same shapes, so C functions build wherever Node.js runs. PATH holds no clang here.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { Runtime } from '@funless/worker';

import { buildFunction } from '../src/build/index.js';
import { BuildFailedError } from '../src/errors/index.js';
import { newProject } from '../src/templates/index.js';
import { fl } from './support/platform.js';
import { runOnRuntime } from './support/run-on-runtime.js';
import { tempDir } from './support/temp-dir.js';

let runtime: Runtime;
let work: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

before(async () => {
  work = await tempDir('fl-c-npm-');
  runtime = await Runtime.create({ dataDir: join(work.dir, 'runtime'), threads: 1 });
  const emptyBin = join(work.dir, 'no-clang-bin');
  await mkdir(emptyBin);
  env = { ...process.env, PATH: emptyBin, CC_WASM: '' };
});
after(async () => {
  await runtime.close();
  await work.cleanup();
});

function run(name: string, code: Uint8Array, input: unknown) {
  return runOnRuntime(runtime, name, code, input);
}

test('without clang on PATH the C template builds with the npm toolchain and answers', async () => {
  const { dir } = await newProject({ name: 'c_npm', language: 'c', cwd: work.dir });
  const built = await buildFunction({ source: dir, env });
  assert.equal(built.shape, 'funless');
  const { result, logs } = await run('c_npm', built.code, { name: 'Test' });
  assert.deepEqual(result, { payload: 'Hello Test!' });
  assert.match(logs.join('\n'), /greeting sent/);
});

test('without clang on PATH a C program with main() builds as a WASI command', async () => {
  const dir = join(work.dir, 'c_npm_command');
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'src', 'count.h'), '#define COUNT(buf, n) (n)\n');
  await writeFile(
    join(dir, 'src', 'main.c'),
    '#include <stdio.h>\n#include "count.h"\nint main(void) { char buf[256];\n' +
      '  size_t n = fread(buf, 1, sizeof buf, stdin); printf("{\\"bytes\\":%zu}", COUNT(buf, n)); return 0; }\n',
  );
  const built = await buildFunction({ source: dir, env });
  assert.equal(built.shape, 'wasi-command');
  assert.deepEqual((await run('c_npm_command', built.code, { a: 1 })).result, { bytes: 7 });
});

test('a compile error from the npm toolchain is a build failure carrying the compiler output', async () => {
  const dir = join(work.dir, 'c_npm_broken');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'main.c'), 'int main( { return 0; }\n');
  await assert.rejects(buildFunction({ source: dir, env }), (error: unknown) => {
    assert.ok(error instanceof BuildFailedError, String(error));
    assert.match(error.message, /C build in .*c_npm_broken failed:\n.*main\.c:1:.*error/s);
    return true;
  });
});

test('fl fn build with the npm toolchain prints its result line only, naming the toolchain', async () => {
  const { dir } = await newProject({ name: 'c_npm_cli', language: 'c', cwd: work.dir });
  const built = await fl(['fn', 'build', dir], { env, cwd: work.dir });
  assert.equal(built.code, 0, built.stderr);
  assert.match(
    built.stdout,
    /^built .*c_npm_cli\.wasm \(\d+ bytes, c, funless shape; npm @yowasp\/clang, wasm32-wasip1\)\n$/,
  );
  assert.equal(built.stderr, '');
});
