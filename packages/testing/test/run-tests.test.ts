// scripts/run-tests.mjs on test files written for the purpose: what it counts, what it lists, when
// it fails the run (a failure, a crash, a hang, and under CI=true a skip).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../../../../scripts/run-tests.mjs', import.meta.url));

let dir: string;
const file = (name: string) => join(dir, `${name}.test.js`);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fl-run-tests-test-'));
  await writeFile(
    file('mixed'),
    `const { describe, test } = require('node:test');
test('passes', () => {});
test('skips inside', (t) => t.skip('no server here'));
test('skips by option', { skip: 'needs root' }, () => {});
test('is todo', { todo: 'later' }, () => {});
test('fails', () => { throw new Error('boom'); });
describe('group', () => {
  test('inner passes', () => {});
  test('inner fails', () => { throw new Error('inner boom'); });
});
describe('skipped group', { skip: 'no namespaces' }, () => { test('never runs', () => {}); });
`,
  );
  await writeFile(
    file('skips'),
    `const { test } = require('node:test');
test('passes', () => {});
test('skips', { skip: 'no server here' }, () => {});
`,
  );
  await writeFile(file('crashes'), `throw new Error('crashed while loading');\n`);
  await writeFile(
    file('hangs'),
    `const { test } = require('node:test');
test('never ends', () => new Promise(() => setInterval(() => {}, 1000)));
`,
  );
});
after(() => rm(dir, { recursive: true, force: true }));

function runner(files: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; lines: string[] }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [RUNNER, ...files],
      {
        env: {
          ...process.env,
          CI: '',
          DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
          FL_TEST_PG_URL: '',
          FL_REQUIRE_PG: '',
          FL_TEST_FILE_TIMEOUT_S: '3',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout) =>
        resolve({ code: error ? Number(error.code) : 0, lines: stdout.trimEnd().split('\n') }),
    );
  });
}

test('the last line counts tests over all files; skips and failures are listed with file, name and reason', async () => {
  const { code, lines } = await runner([file('mixed'), file('crashes'), file('hangs')]);
  assert.equal(code, 1);
  assert.equal(lines.at(-1), '2 passed, 4 failed, 4 skipped');
  const listed = lines.filter((l) => /^ {2}(SKIP|FAIL) /.test(l)).sort();
  assert.deepEqual(listed, [
    `  FAIL ${file('crashes')}: ${file('crashes')}`,
    `  FAIL ${file('hangs')}: (hung: killed after 3 s)`,
    `  FAIL ${file('mixed')}: fails`,
    `  FAIL ${file('mixed')}: group > inner fails`,
    `  SKIP ${file('mixed')}: is todo (todo: later)`,
    `  SKIP ${file('mixed')}: skipped group (no namespaces)`,
    `  SKIP ${file('mixed')}: skips by option (needs root)`,
    `  SKIP ${file('mixed')}: skips inside (no server here)`,
  ]);
  assert.ok(lines.some((l) => l === `# HUNG: ${file('hangs')} did not finish within 3 s and was killed`));
});

test('skips pass a run on a developer machine and fail it under CI=true', async () => {
  const local = await runner([file('skips')]);
  assert.equal(local.code, 0);
  assert.equal(local.lines.at(-1), '1 passed, 0 failed, 1 skipped');
  const ci = await runner([file('skips')], { CI: 'true' });
  assert.equal(ci.code, 1);
  assert.equal(ci.lines.at(-1), '1 passed, 0 failed, 1 skipped');
  assert.ok(ci.lines.some((l) => /CI=true and tests were skipped/.test(l)));
});
