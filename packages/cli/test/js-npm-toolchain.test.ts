// JavaScript functions on a machine without Debian's clang: the engine and the link use the npm
// toolchain (@yowasp/clang), so `fl fn build -l js` works wherever Node.js runs. The engine built
// this way is cached under its own key (the toolchain is part of it), so the first run of this
// file compiles QuickJS with clang running in WebAssembly: minutes, not seconds.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { Runtime } from '@funless/worker';

import { buildFunction } from '../src/build/index.js';
import { newProject } from '../src/templates/index.js';
import { runOnRuntime } from './support/run-on-runtime.js';
import { tempDir } from './support/temp-dir.js';

let runtime: Runtime;
let work: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;

before(async () => {
  work = await tempDir('fl-js-npm-');
  runtime = await Runtime.create({ dataDir: join(work.dir, 'runtime'), threads: 1 });
  const emptyBin = join(work.dir, 'no-clang-bin');
  await mkdir(emptyBin);
  env = { ...process.env, PATH: emptyBin, CC_WASM: '' };
});
after(async () => {
  await runtime.close();
  await work.cleanup();
});

test('without clang on PATH the JavaScript template builds with the npm toolchain and answers', { timeout: 900_000 }, async () => {
  const { dir } = await newProject({ name: 'js_npm', language: 'js', cwd: work.dir });
  const notices: string[] = [];
  const built = await buildFunction({ source: dir, env, onNotice: (m) => notices.push(m) });
  assert.equal(built.shape, 'funless');
  const { result, logs } = await runOnRuntime(runtime, 'js_npm', built.code, { name: 'Test' });
  assert.deepEqual(result, { payload: 'Hello Test!' });
  assert.match(logs.join('\n'), /greeting Test/);
});
