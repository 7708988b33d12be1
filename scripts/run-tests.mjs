#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with Node's own test runner.
//
// PostgreSQL: the suites that run against every database read FL_TEST_PG_URL. This script sets it
// when a server answers at $DATABASE_URL (or the local default below), and says plainly when the
// PostgreSQL pass is skipped. FL_REQUIRE_PG=1 (set by .ci/run) turns a missing server into a failure.
//
// Each test file runs in its own `node --test` process, two at a time (the machines have two cores),
// under a watchdog: a file that has not finished after FL_TEST_FILE_TIMEOUT_S seconds (default 600)
// is killed and reported as hung, so one stuck test fails the run instead of stalling it. A file's
// output is printed in one piece when it finishes, followed by a summary with each file's duration.
// A single test has FL_TEST_TIMEOUT_MS (default 300000) before it fails with its name.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (entry.endsWith('.test.js')) out.push(path);
  }
  return out;
}

function reachable(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname || '127.0.0.1', port: Number(port || 5432) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'dist', 'test');
  try {
    if (statSync(dir).isDirectory()) findTests(dir, files);
  } catch {
    // package without tests
  }
}
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (selected.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}

const pgUrl =
  process.env.FL_TEST_PG_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const env = { ...process.env };
delete env.DATABASE_URL; // tests choose their database explicitly
if (await reachable(pgUrl)) {
  env.FL_TEST_PG_URL = pgUrl;
  console.log(`run-tests: PostgreSQL pass enabled (${pgUrl.replace(/:[^:@/]*@/, ':***@')})`);
} else if (process.env.FL_REQUIRE_PG === '1') {
  console.error(`run-tests: FL_REQUIRE_PG=1 but no PostgreSQL answers at ${pgUrl}`);
  process.exit(1);
} else {
  delete env.FL_TEST_PG_URL;
  console.log(
    `run-tests: SKIPPING the PostgreSQL pass: no server at ${pgUrl} (set DATABASE_URL to enable it); ` +
      'everything else runs on SQLite',
  );
}

const fileTimeoutS = Number(process.env.FL_TEST_FILE_TIMEOUT_S ?? 600);
const concurrency = Number(process.env.FL_TEST_CONCURRENCY ?? 2);
// A single test that runs longer than this fails with its own name (the watchdog above is for files
// that never exit, e.g. because a test left a server or a child process running).
const testTimeoutMs = Number(process.env.FL_TEST_TIMEOUT_MS ?? 300_000);

/** Runs one test file; resolves with its outcome, never rejects. */
function runFile(file) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-reporter=spec', `--test-timeout=${testTimeoutMs}`, file],
      {
        env,
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so a hung file's children die with it
      },
    );
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    let hung = false;
    const watchdog = setTimeout(() => {
      hung = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, fileTimeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      resolve({
        file: file.slice(root.length),
        ok: !hung && code === 0,
        hung,
        code: code ?? signal,
        seconds: (Date.now() - started) / 1000,
        output: Buffer.concat(chunks).toString('utf8'),
      });
    });
  });
}

const results = [];
const queue = [...selected];
async function lane() {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const result = await runFile(file);
    results.push(result);
    process.stdout.write(`\n# ${result.file}\n${result.output}`);
    if (result.hung) {
      process.stdout.write(`# HUNG: ${result.file} did not finish within ${fileTimeoutS} s and was killed\n`);
    }
  }
}
const startedAll = Date.now();
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));

const failed = results.filter((r) => !r.ok);
console.log(`\nrun-tests: ${results.length} files in ${((Date.now() - startedAll) / 1000).toFixed(0)} s`);
for (const r of [...results].sort((a, b) => b.seconds - a.seconds)) {
  const state = r.hung ? 'HUNG' : r.ok ? 'ok' : `FAILED (${r.code})`;
  console.log(`  ${r.seconds.toFixed(1).padStart(7)} s  ${state.padEnd(12)} ${r.file}`);
}
if (failed.length > 0) {
  console.log(`run-tests: ${failed.length} file(s) failed: ${failed.map((r) => r.file).join(', ')}`);
  process.exit(1);
}
console.log('run-tests: all files passed');
