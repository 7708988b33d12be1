#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with Node's own test runner.
//
// PostgreSQL: the suites that run against every database read FL_TEST_PG_URL. This script sets it
// when a server answers at $DATABASE_URL (or the local default below), and says plainly when the
// PostgreSQL pass is skipped. FL_REQUIRE_PG=1 (set by .ci/run) turns a missing server into a failure.
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

const child = spawn(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=2', ...selected],
  { stdio: 'inherit', env, cwd: root },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
