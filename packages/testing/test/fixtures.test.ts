import assert from 'node:assert/strict';
import { test } from 'node:test';

import { asFixture, assemblyScript, c, cFixture } from '../src/index.js';

const imports = (code: Uint8Array) =>
  WebAssembly.Module.imports(new WebAssembly.Module(code)).map((i) => `${i.module}.${i.name}`);
const exports = (code: Uint8Array) =>
  WebAssembly.Module.exports(new WebAssembly.Module(code)).map((e) => e.name);

test('AssemblyScript fixtures build against the raw fl_imps imports only', async () => {
  const code = await asFixture('console-log');
  assert.deepEqual(imports(code).sort(), ['fl_imps.__console_log', 'fl_imps.__insert_response']);
  assert.ok(exports(code).includes('__invoke') && exports(code).includes('memory'));
});

test('C fixtures build with clang and wasi-libc as WASI commands or reactors', async () => {
  const echo = await cFixture('echo');
  assert.ok(exports(echo).includes('_start'));
  assert.ok(imports(echo).every((i) => i.startsWith('wasi_snapshot_preview1.')));
  const realistic = await cFixture('realistic');
  assert.ok(exports(realistic).includes('_initialize') && exports(realistic).includes('__invoke'));
  assert.ok(realistic.length > 200_000, `realistic is only ${realistic.length} bytes`);
});

test('builds are cached by source: a second build returns the same bytes at once', async () => {
  const source = 'export function __invoke(len: i32): i32 { return len > 0 ? 0 : 1; }';
  const first = await assemblyScript(source, 'cache-probe');
  const started = performance.now();
  const second = await assemblyScript(source, 'cache-probe');
  assert.deepEqual(second, first);
  assert.ok(performance.now() - started < 500, 'the second build was not served from the cache');
});

test('build errors name the fixture and carry the compiler output', async () => {
  await assert.rejects(
    assemblyScript('export function broken(: i32 {', 'broken-as'),
    /asc failed for broken-as/,
  );
  await assert.rejects(c('int main( { return 0; }', 'broken-c'), /clang failed for broken-c/);
});
