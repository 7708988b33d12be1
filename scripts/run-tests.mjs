#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with Node's own test runner and
// ends with one line, `N passed, N failed, N skipped`, counting tests over all files.
//
// PostgreSQL: the suites that run against every database read FL_TEST_PG_URL. This script sets it
// when a server answers at $DATABASE_URL (or the local default below), and says plainly when the
// PostgreSQL pass is skipped (each file that has one counts it as a skipped test).
// FL_REQUIRE_PG=1 (set by .ci/run) turns a missing server into a failure.
//
// Skips: every skipped (or todo) test is listed at the end with its file, name and reason. A skip
// is for what this machine truly cannot run (no root for network namespaces, no PostgreSQL server).
// CI installs all of it, so with CI=true any skip fails the run: what CI skipped, it did not test.
//
// Each test file runs in its own `node --test` process, two at a time (the machines have two cores),
// under a watchdog: a file that has not finished after FL_TEST_FILE_TIMEOUT_S seconds (default 600)
// is killed and reported as hung, so one stuck test fails the run instead of stalling it. A file's
// output (the spec reporter) is printed in one piece when it finishes; the counts come from a
// second reporter (scripts/test-events-reporter.mjs) writing one JSON line per test to a temp file.
// A single test has FL_TEST_TIMEOUT_MS (default 300000) before it fails with its name.
// The exit code is non-zero when a test failed, a file failed or hung, or (under CI) a test skipped.
// Usage: node scripts/run-tests.mjs [substring-filter | test-file ...]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
// An argument naming an existing file runs that file, wherever it is; any other is a substring
// that selects among the compiled test files.
const paths = filters.filter((f) => f.endsWith('.js') && existsSync(f)).map((f) => resolve(f));
const substrings = filters.filter((f) => !paths.includes(resolve(f)));
const selected = [
  ...paths,
  ...files.filter((f) => substrings.some((s) => f.includes(s)) || filters.length === 0),
];
if (selected.length === 0) {
  console.error('run-tests: no test files found (did the build run?)');
  process.exit(1);
}

const pgUrl =
  process.env.FL_TEST_PG_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
try {
  new URL(pgUrl);
} catch {
  console.error(`run-tests: the PostgreSQL URL is not a URL: ${pgUrl} (from FL_TEST_PG_URL or DATABASE_URL)`);
  process.exit(1);
}
const env = { ...process.env };
delete env.DATABASE_URL; // tests choose their database explicitly
// Run from inside a test (the runner's own test), a child would otherwise report to that test's
// runner instead of to the reporters given here.
delete env.NODE_TEST_CONTEXT;
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

const eventsDir = mkdtempSync(join(tmpdir(), 'fl-run-tests-'));
const reporter = join(root, 'scripts', 'test-events-reporter.mjs');

/**
 * Reads a file's test events into tests with their full names (`suite > test`). Node reports a
 * test when it ends, children before their parent, so children wait on their level for the parent.
 */
function readTests(eventsFile) {
  let text = '';
  try {
    text = readFileSync(eventsFile, 'utf8');
  } catch {
    return []; // the file was killed before its reporter wrote anything
  }
  const levels = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const event = JSON.parse(line);
    const children = levels[event.nesting + 1] ?? [];
    levels[event.nesting + 1] = [];
    for (const child of children) child.name = `${event.name} > ${child.name}`;
    (levels[event.nesting] ??= []).push(event, ...children);
  }
  return levels.flat();
}

/**
 * What a file's tests count for. A suite counts only when it was skipped whole (its tests never
 * ran) or failed for itself (a hook), not when it failed because one of its tests did.
 */
function tally(tests) {
  const out = { passed: 0, failed: [], skipped: [] };
  for (const t of tests) {
    if (t.todo !== undefined)
      out.skipped.push({ name: t.name, reason: `todo${t.todo ? `: ${t.todo}` : ''}` });
    else if (t.skip !== undefined) out.skipped.push({ name: t.name, reason: t.skip || '(no reason given)' });
    else if (t.outcome === 'fail' && !(t.suite && t.failureType === 'subtestsFailed'))
      out.failed.push(t.name);
    else if (t.outcome === 'pass' && !t.suite) out.passed += 1;
  }
  return out;
}

/** Runs one test file; resolves with its outcome, never rejects. */
function runFile(file, index) {
  const started = Date.now();
  const eventsFile = join(eventsDir, `${index}.jsonl`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        `--test-timeout=${testTimeoutMs}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        `--test-reporter=${reporter}`,
        `--test-reporter-destination=${eventsFile}`,
        file,
      ],
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
      const counts = tally(readTests(eventsFile));
      const ok = !hung && code === 0;
      // A file that failed with no failed test of its own (it hung, or crashed outside any test)
      // still counts as one failure, so the counts never say 0 failed when the run failed.
      if (!ok && counts.failed.length === 0) {
        counts.failed.push(
          hung ? `(hung: killed after ${fileTimeoutS} s)` : `(exited with ${code ?? signal})`,
        );
      }
      resolve({
        file: file.startsWith(root) ? file.slice(root.length) : file,
        ok,
        hung,
        code: code ?? signal,
        seconds: (Date.now() - started) / 1000,
        output: Buffer.concat(chunks).toString('utf8'),
        ...counts,
      });
    });
  });
}

const results = [];
const queue = selected.map((file, index) => ({ file, index }));
async function lane() {
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const result = await runFile(next.file, next.index);
    results.push(result);
    process.stdout.write(`\n# ${result.file}\n${result.output}`);
    if (result.hung) {
      process.stdout.write(`# HUNG: ${result.file} did not finish within ${fileTimeoutS} s and was killed\n`);
    }
  }
}
const startedAll = Date.now();
await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
rmSync(eventsDir, { recursive: true, force: true });

const took = ((Date.now() - startedAll) / 1000).toFixed(0);
console.log(`\nrun-tests: ${results.length} files in ${took} s (tests passed/failed/skipped in each)`);
for (const r of [...results].sort((a, b) => b.seconds - a.seconds)) {
  const state = r.hung ? 'HUNG' : r.ok ? 'ok' : `FAILED (${r.code})`;
  const counts = `${r.passed}/${r.failed.length}/${r.skipped.length}`;
  console.log(`  ${r.seconds.toFixed(1).padStart(7)} s  ${state.padEnd(12)} ${counts.padEnd(10)} ${r.file}`);
}
const failed = results.flatMap((r) => r.failed.map((name) => ({ file: r.file, name })));
const skipped = results.flatMap((r) => r.skipped.map((s) => ({ file: r.file, ...s })));
const passed = results.reduce((sum, r) => sum + r.passed, 0);
if (skipped.length > 0) {
  console.log(`run-tests: ${skipped.length} skipped:`);
  for (const s of skipped) console.log(`  SKIP ${s.file}: ${s.name} (${s.reason})`);
}
if (failed.length > 0) {
  console.log(`run-tests: ${failed.length} failed:`);
  for (const f of failed) console.log(`  FAIL ${f.file}: ${f.name}`);
}
const ci = process.env.CI === 'true' || process.env.CI === '1';
let exitCode = results.some((r) => !r.ok) || failed.length > 0 ? 1 : 0;
if (passed + failed.length + skipped.length === 0) {
  console.log('run-tests: the files run hold no test');
  exitCode = 1;
}
if (ci && skipped.length > 0) {
  console.log(
    'run-tests: CI=true and tests were skipped: CI installs everything the suite needs, so a skip fails the run',
  );
  exitCode = 1;
}
console.log(`${passed} passed, ${failed.length} failed, ${skipped.length} skipped`);
process.exit(exitCode);
