// JavaScript and TypeScript functions on a whole platform (`fl up`: a Core and a Worker process),
// driven by the `fl` command: templates, npm dependencies, errors at build and at run time, the
// sandbox's limits, isolation between calls, logs and outbound HTTP.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { jsEngine } from '../src/build/javascript/index.js';
import {
  cleanEnv,
  fl,
  startPlatform,
  workerJoined,
  type FlResult,
  type PlatformProcess,
} from './support/platform.js';
import { tempDir } from './support/temp-dir.js';

let work: { dir: string; cleanup: () => Promise<void> };
let platform: PlatformProcess | undefined;
let env: NodeJS.ProcessEnv;
let server: Server;
/** What the local HTTP server received. */
const received: { method?: string; url?: string; body: string; header?: string }[] = [];

/** Short, so that a function that loops for ever is stopped quickly. */
const TIME_LIMIT_MS = 3_000;

before(async () => {
  work = await tempDir('fl-js-');
  // The engine is built once per installation (minutes with the npm toolchain): here, not in the
  // first `fl` process, whose own bound would count it.
  await jsEngine(process.env);
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, body, header: req.headers['x-probe'] as string });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ seen: body, path: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  platform = await startPlatform('up', {
    env: cleanEnv({
      HOME: work.dir,
      FL_INVOKE_TIMEOUT_MS: String(TIME_LIMIT_MS),
      FL_HTTP_ALLOW: '127.0.0.1',
    }),
    cwd: work.dir,
    timeoutMs: 60_000,
  });
  env = cleanEnv({ HOME: work.dir, FL_API_HOST: platform.url });
  await workerJoined(platform, { env, cwd: work.dir });
});

after(async () => {
  await platform?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await work?.cleanup();
});

function run(...args: string[]): Promise<FlResult> {
  return fl(args, { env, cwd: work.dir });
}

function ok(result: FlResult): string {
  assert.equal(result.code, 0, `exit code 0 expected; stderr: ${result.stderr}`);
  return result.stdout;
}

function failed(result: FlResult): string {
  assert.notEqual(result.code, 0, `a failure expected; stdout: ${result.stdout}`);
  return result.stderr;
}

/** A project folder with these files. */
async function project(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(work.dir, name);
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

/** Uploads a one-file JavaScript function and returns its name. */
async function createJs(name: string, source: string, ...options: string[]): Promise<string> {
  const dir = await project(name, { 'index.js': source });
  ok(await run('fn', 'create', name, dir, ...options));
  return name;
}

for (const language of ['js', 'ts'] as const) {
  test(`the ${language} template builds, uploads and answers; its log line is in the activation record`, async () => {
    const name = `hello_${language}`;
    ok(await run('fn', 'new', name, '-l', language));
    const built = ok(await run('fn', 'build', name));
    assert.match(
      built,
      new RegExp(
        `built ${name}/build/${name}\\.wasm \\(\\d+ bytes, ${language}, funless shape; QuickJS 2021-03-27, linked by (clang|npm @yowasp\\/clang)`,
      ),
    );
    ok(await run('fn', 'create', name, name));
    const answer = ok(await run('fn', 'invoke', name, '-a', 'name=Test', '--logs'));
    assert.match(answer, /^\{"payload":"Hello Test!"\}\n/);
    assert.match(answer, /greeting Test/);
    assert.equal(ok(await run('fn', 'invoke', name)), '{"payload":"Hello World!"}\n');
  });
}

test('a TypeScript type error fails the build with tsc output; --no-typecheck builds anyway', async () => {
  ok(await run('fn', 'new', 'typed', '-l', 'ts'));
  await writeFile(
    join(work.dir, 'typed', 'index.ts'),
    'export default function (args: { n: number }): number {\n  const s: string = args.n;\n  return s.length;\n}\n',
  );
  const stderr = failed(await run('fn', 'build', 'typed'));
  assert.match(stderr, /type errors in .*typed/);
  assert.match(stderr, /index\.ts\(2,9\): error TS2322/);
  ok(await run('fn', 'build', 'typed', '--no-typecheck'));
});

test('an npm dependency is bundled into the module, and main is taken when there is no default', async () => {
  const dir = await project('with_dep', {
    'package.json': JSON.stringify({
      name: 'with_dep',
      type: 'module',
      dependencies: { 'shout-case': '1.0.0' },
    }),
    'index.js':
      "import shout from 'shout-case';\nexport function main(args) {\n  return { text: shout(args.text) };\n}\n",
    'node_modules/shout-case/package.json': JSON.stringify({
      name: 'shout-case',
      version: '1.0.0',
      main: 'index.js',
    }),
    'node_modules/shout-case/index.js': "module.exports = (s) => String(s).toUpperCase() + '!';\n",
  });
  ok(await run('fn', 'create', 'with_dep', dir));
  assert.equal(ok(await run('fn', 'invoke', 'with_dep', '-a', 'text=hi')), '{"text":"HI!"}\n');
});

test('a thrown error is the invocation error, and its stack goes to the logs', async () => {
  await createJs(
    'thrower',
    "export default function (args) {\n  if (!args.name) throw new Error('missing argument: name');\n  return { ok: true };\n}\n",
  );
  const stderr = failed(await run('fn', 'invoke', 'thrower', '--logs'));
  assert.match(stderr, /fl: error: .*Error: missing argument: name/);
  assert.match(stderr, /at .*index\.js/);
  assert.equal(ok(await run('fn', 'invoke', 'thrower', '-a', 'name=x')), '{"ok":true}\n');
});

test('an async function that awaits is answered once its promise settles; a rejection is the error', async () => {
  await createJs(
    'async_fn',
    'export default async function (args) {\n  const n = await Promise.resolve(args.n * 2);\n' +
      "  if (n > 10) throw new RangeError('too big');\n  return { n };\n}\n",
  );
  assert.equal(ok(await run('fn', 'invoke', 'async_fn', '-a', 'n=4')), '{"n":8}\n');
  assert.match(failed(await run('fn', 'invoke', 'async_fn', '-a', 'n=6')), /RangeError: too big/);
});

test('results that are not JSON-serialisable are clear invocation errors', async () => {
  await createJs(
    'not_json',
    'export default function (args) {\n  const cycle = {};\n  cycle.self = cycle;\n' +
      '  return { undefined: undefined, fn: () => 1, bigint: { n: 1n }, cycle }[args.kind];\n}\n',
  );
  const cases: [string, RegExp][] = [
    ['undefined', /not JSON-serialisable: undefined/],
    ['fn', /not JSON-serialisable: a function/],
    ['bigint', /not JSON-serialisable: it contains a BigInt/],
    ['cycle', /not JSON-serialisable: it contains a cycle/],
  ];
  for (const [kind, message] of cases)
    assert.match(failed(await run('fn', 'invoke', 'not_json', '-a', `kind=${kind}`)), message);
});

test('a syntax error is reported at build time with file, line and column', async () => {
  const dir = await project('broken', {
    'index.js': 'export default function (args) {\n  return { a: 1 ;\n}\n',
  });
  const stderr = failed(await run('fn', 'build', dir));
  assert.match(stderr, /JavaScript build of index\.js failed:\nindex\.js:2:\d+: Expected "}" but found ";"/);
});

test('a module exporting no function is refused at build time, naming what was expected', async () => {
  const dir = await project('no_export', { 'index.js': 'export const handler = () => 1;\n' });
  const stderr = failed(await run('fn', 'build', dir));
  assert.match(
    stderr,
    /index\.js must export the function as default .* or as `main` .*: it exports handler/,
  );
});

test('a single .ts file builds; a default export that is not a function is refused at build time', async () => {
  await writeFile(
    join(work.dir, 'single.ts'),
    'export default (args: { x?: number }) => ({ x: args.x ?? 0 });\n',
  );
  ok(await run('fn', 'create', 'single', join(work.dir, 'single.ts')));
  assert.equal(ok(await run('fn', 'invoke', 'single', '-a', 'x=2')), '{"x":2}\n');
  const dir = await project('not_a_fn', { 'index.js': 'export default 42;\n' });
  assert.match(
    failed(await run('fn', 'build', dir)),
    /must export a function as default or as main: its default export is number/,
  );
});

test('code that throws while loading fails the build with its error and where', async () => {
  const dir = await project('load_throws', {
    'index.js': "const config = JSON.parse('{');\nexport default () => config;\n",
  });
  assert.match(
    failed(await run('fn', 'build', dir)),
    /the function's code failed while loading: SyntaxError: [^\n]+\n[\s\S]*\(index\.js:\d+\)/,
  );
});

test('while (true) is stopped at the time limit, and the next invocation runs', async () => {
  await createJs('spin', 'export default function () {\n  for (;;) {}\n}\n');
  const stderr = failed(await run('fn', 'invoke', 'spin'));
  assert.match(stderr, /time limit|timed out|timeout/i);
  await createJs('after_spin', 'export default () => ({ fine: true });\n');
  assert.equal(ok(await run('fn', 'invoke', 'after_spin')), '{"fine":true}\n');
});

test('memory is capped at the capacity: a function that keeps allocating fails with memory_limit', async () => {
  await createJs(
    'hog',
    'export default function (args) {\n  const keep = [];\n' +
      '  for (let i = 0; i < args.n; i++) keep.push(new Array(65536).fill(i));\n  return { n: keep.length };\n}\n',
    '--capacity',
    '16',
  );
  assert.equal(ok(await run('fn', 'invoke', 'hog', '-a', 'n=2')), '{"n":2}\n');
  const stderr = failed(await run('fn', 'invoke', 'hog', '-a', 'n=1000'));
  assert.match(stderr, /ran out of memory at its capacity of 16 MiB|out of memory/);
  assert.equal(ok(await run('fn', 'invoke', 'hog', '-a', 'n=1')), '{"n":1}\n');
});

test('module-level state does not survive between invocations', async () => {
  await createJs(
    'counter',
    'let calls = 0;\nconst seen = [];\nexport default function () {\n  calls++;\n  seen.push(Math.random());\n' +
      '  return { calls, seen: seen.length, r: seen[0] };\n}\n',
  );
  const answers = [];
  for (let i = 0; i < 3; i++)
    answers.push(
      JSON.parse(ok(await run('fn', 'invoke', 'counter'))) as { calls: number; seen: number; r: number },
    );
  for (const a of answers) assert.deepEqual([a.calls, a.seen], [1, 1]);
  // Math.random is seeded per invocation, not once in the snapshot every call starts from.
  assert.equal(new Set(answers.map((a) => a.r)).size, 3);
});

test('fetch reaches a local server through __http_request: method, headers, body and status', async () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/echo`;
  await createJs(
    'caller',
    'export default async function (args) {\n' +
      "  const res = await fetch(args.url, { method: 'POST', headers: { 'x-probe': 'yes' }, body: JSON.stringify({ a: 1 }) });\n" +
      '  const data = await res.json();\n  console.log(`got ${res.status}`);\n' +
      '  let refused;\n  try { await fetch(args.url.replace("127.0.0.1", "10.255.255.1")); } catch (e) { refused = String(e); }\n' +
      '  return { status: res.status, ok: res.ok, data, refused };\n}\n',
  );
  const out = ok(await run('fn', 'invoke', 'caller', '-a', `url=${url}`, '--logs'));
  const result = JSON.parse(out.split('\n')[0]!) as Record<string, unknown>;
  assert.deepEqual(result.data, { seen: '{"a":1}', path: '/echo' });
  assert.equal(result.status, 201);
  assert.equal(result.ok, true);
  assert.match(String(result.refused), /TypeError: fetch GET .* failed/);
  assert.match(out, /got 201/);
  const hit = received.find((r) => r.url === '/echo');
  assert.deepEqual(hit, { method: 'POST', url: '/echo', body: '{"a":1}', header: 'yes' });
});
