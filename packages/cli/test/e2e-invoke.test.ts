// End to end on a whole platform started like `npm start` (`fl up`: Core + one Worker): the
// hello function and every template, from `fl fn new` to `fl fn invoke`. A Worker that does not
// join fails every test here (it is the regression these tests guard), it never skips them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

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

const WORKER_WAIT_MS = 30_000;

before(async () => {
  work = await tempDir('fl-e2e-');
  platform = await startPlatform('up', {
    env: cleanEnv({ HOME: work.dir }),
    cwd: work.dir,
    timeoutMs: 60_000,
  });
  env = cleanEnv({ HOME: work.dir, FL_API_HOST: platform.url });
  await workerJoined(platform, { env, cwd: work.dir, timeoutMs: WORKER_WAIT_MS });
});

after(async () => {
  await platform?.stop();
  await work?.cleanup();
});

function run(...args: string[]): Promise<FlResult> {
  return fl(args, { env, cwd: work.dir });
}

function ok(result: FlResult): string {
  assert.equal(result.code, 0, `exit code 0 expected; stderr: ${result.stderr}`);
  return result.stdout;
}

test('hello_test in _ answers {"payload":"Hello Test!"} on one line', async () => {
  ok(await run('fn', 'new', 'hello', '-l', 'as'));
  ok(await run('fn', 'create', 'hello_test', 'hello'));
  assert.equal(
    ok(await run('fn', 'invoke', 'hello_test', '-j', '{"name":"Test"}')),
    '{"payload":"Hello Test!"}\n',
  );
  assert.equal(ok(await run('fn', 'invoke', 'hello_test', '-a', 'name=Test')), '{"payload":"Hello Test!"}\n');

  const failed = await run('fn', 'invoke', 'hello_test');
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /^fl: error: .*missing argument: name/);

  ok(await run('fn', 'delete', 'hello_test'));
  const gone = await run('fn', 'invoke', 'hello_test', '-a', 'name=Test');
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /^fl: error: .*hello_test.*not found/);
});

test('a module with two functions: fl mod get lists both, fl mod list shows _ and test_mod', async () => {
  ok(await run('mod', 'create', 'test_mod'));
  ok(await run('fn', 'new', 'greet', '-l', 'c'));
  ok(await run('fn', 'new', 'echo', '-l', 'wat'));
  ok(await run('fn', 'create', 'greet', 'greet', '-m', 'test_mod'));
  ok(await run('fn', 'create', 'echo', 'echo', '-m', 'test_mod'));
  const listed = ok(await run('mod', 'get', 'test_mod'));
  assert.match(listed, /\ngreet /);
  assert.match(listed, /\necho /);
  assert.match(ok(await run('mod', 'list')), /^NAME\n_\ntest_mod\n$/);

  assert.equal(
    ok(await run('fn', 'invoke', 'greet', '-m', 'test_mod', '-a', 'name=Test')),
    '{"payload":"Hello Test!"}\n',
  );
  assert.equal(
    ok(await run('fn', 'invoke', 'echo', '-m', 'test_mod', '-a', 'n=3', '-a', 'ok=true')),
    '{"n":3,"ok":true}\n',
  );

  ok(await run('mod', 'delete', 'test_mod'));
  const gone = await run('fn', 'invoke', 'greet', '-m', 'test_mod');
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /^fl: error: .*test_mod.*not found/);
});

test('fl workers shows the Worker started by fl up', async () => {
  const table = ok(await run('workers'));
  assert.match(
    table,
    /^NAME +TAG +MEMORY MIB +FREE MIB +IN FLIGHT +THREADS +CPU +LOAD 1\/5\/15 MIN +RUNNING TAGS +LAST REPORT\n/,
  );
  assert.equal(table.trim().split('\n').length, 2, 'one Worker');
});
