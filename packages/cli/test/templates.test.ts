import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ErrorCode } from '@funless/protocol';
import { Runtime } from '@funless/worker';

import { buildFunction, detectLanguage } from '../src/build/index.js';
import { findRustToolchain } from '../src/build/rust.js';
import { BuildFailedError, CliError, ToolchainMissingError } from '../src/errors/index.js';
import { newProject, TEMPLATE_LANGUAGES } from '../src/templates/index.js';
import { runOnRuntime } from './support/run-on-runtime.js';
import { tempDir } from './support/temp-dir.js';

let runtime: Runtime;
let work: { dir: string; cleanup: () => Promise<void> };

before(async () => {
  work = await tempDir('fl-templates-');
  runtime = await Runtime.create({ dataDir: join(work.dir, 'runtime'), threads: 2 });
});
after(async () => {
  await runtime.close();
  await work.cleanup();
});

function run(name: string, code: Uint8Array, input: unknown) {
  return runOnRuntime(runtime, name, code, input);
}

const EXPECTED: Record<
  (typeof TEMPLATE_LANGUAGES)[number],
  { input: unknown; result: unknown; log: RegExp }
> = {
  js: { input: { name: 'Test' }, result: { payload: 'Hello Test!' }, log: /greeting Test/ },
  ts: { input: { name: 'Test' }, result: { payload: 'Hello Test!' }, log: /greeting Test/ },
  as: { input: { name: 'Test' }, result: { payload: 'Hello Test!' }, log: /greeting Test/ },
  c: { input: { name: 'Test' }, result: { payload: 'Hello Test!' }, log: /greeting sent/ },
  wat: { input: { hello: 'world', n: [1, 2] }, result: { hello: 'world', n: [1, 2] }, log: /echo/ },
  rust: { input: { name: 'Test' }, result: { payload: 'Hello Test!' }, log: /greeting Test/ },
};

/** Rust builds need a toolchain CI installs (.ci/run); elsewhere they skip, saying why. */
const rustSkip = await findRustToolchain(process.env, process.cwd()).then(
  () => false,
  (error: Error) => error.message,
);

for (const language of TEMPLATE_LANGUAGES) {
  const skip = language === 'rust' ? rustSkip : false;
  test(
    `the ${language} template builds into a FunLess-ABI module that answers on the runtime`,
    { skip },
    async () => {
      const name = `tpl_${language}`;
      const { dir, files } = await newProject({ name, language, cwd: work.dir });
      assert.ok(files.includes('.gitignore'));
      assert.equal(await detectLanguage(dir), language);
      const built = await buildFunction({ source: dir });
      assert.equal(built.outFile, join(dir, 'build', `${name}.wasm`));
      assert.equal(built.shape, 'funless');
      const { result, logs } = await run(name, built.code, EXPECTED[language].input);
      assert.deepEqual(result, EXPECTED[language].result);
      assert.match(logs.join('\n'), EXPECTED[language].log);
    },
  );
}

test('the AssemblyScript SDK: fail() is the invocation error, JSON escapes survive the round trip', async () => {
  const { dir } = await newProject({ name: 'as_sdk', language: 'as', cwd: work.dir });
  const { code } = await buildFunction({ source: dir });
  await assert.rejects(run('as_sdk', code, {}), (error: unknown) => {
    assert.equal((error as { code?: string }).code, ErrorCode.GuestError);
    assert.match((error as Error).message, /missing argument: name/);
    return true;
  });
  const tricky = 'quote " backslash \\ newline \n tab \t unicode é€😀 control \u0001';
  const { result } = await run('as_sdk', code, { name: tricky });
  assert.deepEqual(result, { payload: `Hello ${tricky}!` });
});

test('the AssemblyScript SDK JSON model: numbers, nesting, arrays and http/log imports compile', async () => {
  const dir = join(work.dir, 'as_json');
  await mkdir(join(dir, 'assembly'), { recursive: true });
  await writeFile(
    join(dir, 'assembly', 'index.ts'),
    `import { JSON, run, fail } from "@funless/sdk-assemblyscript";
export function __invoke(len: i32): i32 { return run(len, handle); }
function handle(input: JSON.Obj): JSON.Value {
  const items = input.getArr("items");
  if (items == null) return fail("items must be an array");
  let sum: f64 = 0;
  for (let i = 0; i < items.length; i++) {
    const n = items.at(i)!.asNum();
    if (n == null) return fail("item " + i.toString() + " is not a number");
    sum += n.value;
  }
  const nested = input.getObj("nested");
  const out = JSON.obj()
    .setNumber("sum", sum)
    .setNumber("half", sum / 2)
    .setBool("nested", nested != null)
    .set("echo", JSON.parse(input.stringify())!)
    .set("none", JSON.nul())
    .set("list", JSON.arr().push(JSON.str("a")).push(JSON.num(1)));
  return out;
}
`,
  );
  const { code } = await buildFunction({ source: dir, language: 'as' });
  const input = { items: [1, 2, 3.5, -1e3], nested: { deep: [true, false, null] } };
  const { result } = await run('as_json', code, input);
  assert.deepEqual(result, {
    sum: -993.5,
    half: -496.75,
    nested: true,
    echo: input,
    none: null,
    list: ['a', 1],
  });
  await assert.rejects(run('as_json', code, { items: [1, 'x'] }), /item 1 is not a number/);
});

test('an AssemblyScript compile error is a BuildFailedError carrying the diagnostics', async () => {
  const dir = join(work.dir, 'as_broken');
  await mkdir(join(dir, 'assembly'), { recursive: true });
  await writeFile(
    join(dir, 'assembly', 'index.ts'),
    'export function __invoke(len: i32): i32 { return nope; }\n',
  );
  await assert.rejects(buildFunction({ source: dir }), (error: unknown) => {
    assert.ok(error instanceof BuildFailedError);
    assert.match(error.message, /AssemblyScript build of .* failed/);
    assert.match(error.message, /nope/);
    return true;
  });
});

test('a module with neither __invoke nor _start is refused at build time, naming the fix', async () => {
  const file = join(work.dir, 'no_export.wat');
  await writeFile(file, '(module (memory (export "memory") 1) (func (export "run")))\n');
  await assert.rejects(
    buildFunction({ source: file }),
    /exports neither __invoke nor _start, so it is not a function/,
  );
});

test('a WAT syntax error names the file', async () => {
  const file = join(work.dir, 'broken.wat');
  await writeFile(file, '(module (func (export "__invoke") (param i32) (result i32) i32.bogus))\n');
  await assert.rejects(buildFunction({ source: file }), /WAT build of .*broken\.wat failed/);
});

test('a C program with main() builds as a WASI command', async () => {
  const dir = join(work.dir, 'c_command');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'main.c'),
    '#include <stdio.h>\nint main(void) { char buf[256]; size_t n = fread(buf, 1, sizeof buf, stdin);\n' +
      '  printf("{\\"bytes\\":%zu}", n); return 0; }\n',
  );
  const built = await buildFunction({ source: dir });
  assert.equal(built.shape, 'wasi-command');
  const { result } = await run('c_command', built.code, { a: 1 });
  assert.deepEqual(result, { bytes: 7 });
});

test('a missing C compiler names the Debian packages to install', async () => {
  const { dir } = await newProject({ name: 'c_nocc', language: 'c', cwd: work.dir });
  await assert.rejects(
    buildFunction({ source: dir, env: { ...process.env, CC_WASM: 'clang-that-is-not-installed' } }),
    (error: unknown) => {
      assert.ok(error instanceof ToolchainMissingError);
      assert.match(error.message, /clang is not installed: run `apt-get install clang lld wasi-libc/);
      return true;
    },
  );
});

test('no Rust toolchain with the wasm32-wasi target: one message naming the Debian packages', async () => {
  // A rustc on PATH without the target, as a rustup toolchain often is, and no Debian one.
  const bin = join(work.dir, 'fake-rust-bin');
  await mkdir(join(bin, 'sysroot', 'lib', 'rustlib'), { recursive: true });
  await writeFile(
    join(bin, 'rustc'),
    `#!/bin/sh\nif [ "$1" = --version ]; then echo "rustc 9.9.9 (fake)"; else echo "${bin}/sysroot"; fi\n`,
    { mode: 0o755 },
  );
  await assert.rejects(findRustToolchain({ PATH: bin }, work.dir, []), (error: unknown) => {
    assert.ok(error instanceof ToolchainMissingError);
    assert.match(error.message, /no Rust toolchain with the wasm32-wasi target is installed/);
    assert.match(error.message, /fake-rust-bin\/rustc \(rustc 9\.9\.9 \(fake\)\) has no wasm32-wasi target/);
    assert.match(
      error.message,
      /run `apt-get install rustc cargo libstd-rust-dev-wasm32 librust-serde-dev librust-serde-json-dev`$/,
    );
    return true;
  });
  await assert.rejects(
    findRustToolchain({ PATH: join(work.dir, 'nothing') }, work.dir, []),
    /is installed: run `apt-get install rustc/,
  );
});

test(
  'a rustc without the wasm target first on PATH is passed over for the one that has it',
  { skip: rustSkip },
  async () => {
    const bin = join(work.dir, 'fake-rust-first');
    await mkdir(join(bin, 'sysroot', 'lib', 'rustlib'), { recursive: true });
    await writeFile(
      join(bin, 'rustc'),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo "rustc 9.9.9 (fake)"; else echo "${bin}/sysroot"; fi\n`,
      { mode: 0o755 },
    );
    const found = await findRustToolchain(
      { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      work.dir,
    );
    assert.notEqual(found.rustc, join(bin, 'rustc'));
    assert.match(found.target, /^wasm32-wasip?1?$/);
    assert.match(found.version, /^rustc \d+\.\d+/);
  },
);

test(
  "a crate missing from Debian's registry names its package; a version newer than Debian's says so",
  { skip: rustSkip },
  async () => {
    const dir = join(work.dir, 'rust_deps');
    await mkdir(join(dir, 'src'), { recursive: true });
    await writeFile(join(dir, 'src', 'lib.rs'), '');
    const manifest = (deps: string) =>
      writeFile(
        join(dir, 'Cargo.toml'),
        `[package]\nname = "rust-deps"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}\n`,
      );
    await manifest('no_such_crate_here = "1"');
    await assert.rejects(buildFunction({ source: dir }), (error: unknown) => {
      assert.ok(error instanceof ToolchainMissingError, String(error));
      assert.match(error.message, /the crate no_such_crate_here is not in Debian's registry/);
      assert.match(error.message, /apt-get install librust-no-such-crate-here-dev/);
      return true;
    });
    await manifest('serde = "999.0"');
    await assert.rejects(buildFunction({ source: dir }), (error: unknown) => {
      assert.ok(error instanceof BuildFailedError, String(error));
      assert.match(error.message, /serde = "\^999\.0" is not available offline/);
      return true;
    });
  },
);

test('a directory in no known language is an error listing what was expected', async () => {
  const dir = join(work.dir, 'empty_project');
  await mkdir(dir, { recursive: true });
  await assert.rejects(detectLanguage(dir), (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.match(error.message, /cannot tell the language of .*: expected index\.js .*assembly\/index\.ts/);
    return true;
  });
  await assert.rejects(detectLanguage(join(work.dir, 'missing')), /does not exist/);
});

test('fl fn new refuses a non-empty directory and a bad function name', async () => {
  await newProject({ name: 'taken', language: 'wat', cwd: work.dir });
  await assert.rejects(
    newProject({ name: 'taken', language: 'wat', cwd: work.dir }),
    /already exists and is not empty/,
  );
  await assert.rejects(
    newProject({ name: 'bad-name', language: 'as', cwd: work.dir }),
    /invalid function name/,
  );
});
