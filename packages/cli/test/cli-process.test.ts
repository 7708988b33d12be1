// The CLI as users run it: real `fl` processes against a real Core process (`fl core`), with HOME
// and the data directory in temp dirs. Covers module and function CRUD, the admin commands, and
// every not-found path of docs/cli.md (error line naming what was not found, non-zero exit).
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { buildFunction } from '../src/build/index.js';
import { newProject } from '../src/templates/index.js';
import { cleanEnv, fl, startPlatform, type FlResult, type PlatformProcess } from './support/platform.js';
import { tempDir } from './support/temp-dir.js';

let work: { dir: string; cleanup: () => Promise<void> };
let core: PlatformProcess;
let env: NodeJS.ProcessEnv;
let wasm: string;

before(async () => {
  work = await tempDir('fl-cli-process-');
  // No FL_DATA_DIR: the Core writes .funless/tokens under its working directory, and the CLI,
  // run from the same directory with no configuration at all, finds the tokens there.
  core = await startPlatform('core', { env: cleanEnv({ HOME: work.dir }), cwd: work.dir });
  env = cleanEnv({ HOME: work.dir, FL_API_HOST: core.url });
  const { dir } = await newProject({ name: 'echo', language: 'wat', cwd: work.dir });
  wasm = (await buildFunction({ source: dir })).outFile;
});

after(async () => {
  await core?.stop();
  await work?.cleanup();
});

function run(...args: string[]): Promise<FlResult> {
  return fl(args, { env, cwd: work.dir });
}

/** Asserts a failed command: exit code not 0, one `fl: error:` line matching `pattern`, no stdout. */
function assertError(result: FlResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `exit code of a failure (stderr: ${result.stderr})`);
  assert.match(result.stderr, /^fl: error: .+\n$/, 'one error line');
  assert.match(result.stderr, pattern);
  assert.equal(result.stdout, '');
}

test('the CLI works right after the Core started, with no configuration file', async () => {
  await assert.rejects(access(join(work.dir, '.fl', 'config')), 'no config file exists');
  const list = await run('mod', 'list');
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, 'NAME\n_\n');
});

test('modules and functions: create, list, get, update, delete through fl processes', async () => {
  const mod = `test_mod_${process.pid}`;
  assert.equal((await run('mod', 'create', mod)).stdout, `created module ${mod}\n`);
  for (const name of ['first', 'second']) {
    const created = await run('fn', 'create', name, wasm, '-m', mod, '--capacity', '16', '--tag', 'edge');
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stdout,
      new RegExp(`^created function ${name} in module ${mod} \\(hash [0-9a-f]{12}, \\d+ bytes\\)\\n$`),
    );
  }

  const got = await run('mod', 'get', mod);
  assert.equal(got.code, 0, got.stderr);
  assert.match(got.stdout, /^module: test_mod_\d+\nNAME +HASH +SIZE +TAG +CAPACITY\n/);
  assert.match(got.stdout, /\nfirst +[0-9a-f]{12} +\d+ +edge +16\n/);
  assert.match(got.stdout, /\nsecond +[0-9a-f]{12} +\d+ +edge +16\n/);

  const modules = await run('mod', 'list', '--json');
  assert.deepEqual(
    (JSON.parse(modules.stdout) as { name: string }[])
      .map((m) => m.name)
      .filter((n) => n === '_' || n === mod),
    ['_', mod],
  );

  const fn = JSON.parse((await run('fn', 'get', 'first', '-m', mod, '--json')).stdout);
  assert.equal(fn.name, 'first');
  assert.equal(fn.module, mod);
  assert.deepEqual(fn.metadata, { tag: 'edge', capacity: 16 });

  const updated = await run('fn', 'update', 'first', '-m', mod, '--capacity', '32', '--rename', 'renamed');
  assert.equal(updated.code, 0, updated.stderr);
  const listed = JSON.parse((await run('fn', 'list', '-m', mod, '--json')).stdout) as {
    name: string;
    metadata: { capacity: number };
  }[];
  assert.deepEqual(listed.map((f) => [f.name, f.metadata.capacity]).sort(), [
    ['renamed', 32],
    ['second', 16],
  ]);

  const renamed = await run('mod', 'rename', mod, `${mod}_b`);
  assert.equal(renamed.stdout, `renamed module ${mod} to ${mod}_b\n`);
  assert.equal((await run('fn', 'delete', 'second', '-m', `${mod}_b`)).code, 0);
  const deleted = await run('mod', 'delete', `${mod}_b`);
  assert.equal(deleted.stdout, `deleted module ${mod}_b and its functions\n`);
  assertError(await run('mod', 'get', `${mod}_b`), new RegExp(`module ${mod}_b not found`));
});

test('every not-found path prints an fl: error line naming what was not found and exits non-zero', async () => {
  const name = `hello_${process.pid}`;
  // Invoke before create.
  assertError(await run('fn', 'invoke', name, '-a', 'name=Test'), new RegExp(`${name}.*not found`));
  // Upload into a missing module.
  assertError(await run('fn', 'create', name, wasm, '-m', 'no_such_mod'), /module no_such_mod not found/);

  assert.equal((await run('fn', 'create', name, wasm)).code, 0);
  // Wrong module.
  assertError(
    await run('fn', 'invoke', name, '-m', 'no_such_mod'),
    /no_such_mod.*not found|not found.*no_such_mod/,
  );
  assertError(await run('fn', 'get', name, '-m', 'no_such_mod'), /no_such_mod/);
  // Delete, then invoke after delete, then delete twice.
  assert.equal((await run('fn', 'delete', name)).stdout, `deleted function ${name} from module _\n`);
  assertError(await run('fn', 'invoke', name), new RegExp(`${name}.*not found`));
  assertError(await run('fn', 'delete', name), new RegExp(`${name}.*not found`));
  assertError(await run('fn', 'get', name), new RegExp(`${name}.*not found`));
  assertError(await run('mod', 'delete', 'no_such_mod'), /module no_such_mod not found/);
});

test('the Core refusing input is reported with its detail: duplicates, the default module, a text file as code', async () => {
  assertError(await run('mod', 'create', '_'), /module _ already exists/);
  assertError(await run('mod', 'delete', '_'), /_/);
  const bad = await run('fn', 'create', 'not_wasm', join(work.dir, 'echo', 'README.md'));
  assertError(bad, /cannot tell the language|not a WebAssembly binary|expected a \.ts, \.c or \.wat file/);
});

test('admin subjects: create shows the token once, the guest token is refused on admin routes', async () => {
  const name = `alice_${process.pid}`;
  const created = await run('admin', 'subject', 'create', name, '--json');
  assert.equal(created.code, 0, created.stderr);
  const { token } = JSON.parse(created.stdout) as { token: string };
  assert.ok(token.length >= 20);
  assert.match((await run('admin', 'subject', 'list')).stdout, new RegExp(`\\n${name} +developer\\n`));

  // The new subject's token works on function routes (FL_API_TOKEN over the tokens file).
  const asAlice = await fl(['mod', 'list'], { env: { ...env, FL_API_TOKEN: token }, cwd: work.dir });
  assert.equal(asAlice.code, 0, asAlice.stderr);

  const rotated = JSON.parse((await run('admin', 'subject', 'rotate', name, '--json')).stdout) as {
    token: string;
  };
  assert.notEqual(rotated.token, token);
  const stale = await fl(['mod', 'list'], { env: { ...env, FL_API_TOKEN: token }, cwd: work.dir });
  assertError(stale, /./);

  // A subject token on an admin route is refused.
  const notAdmin = await fl(['admin', 'subject', 'list'], {
    env: { ...env, FL_API_TOKEN: rotated.token, FL_DATA_DIR: join(work.dir, 'nowhere') },
    cwd: work.dir,
  });
  assertError(notAdmin, /./);

  assert.equal((await run('admin', 'subject', 'delete', name)).stdout, `deleted subject ${name}\n`);
  assertError(await run('admin', 'subject', 'delete', name), new RegExp(name));
});

test('admin roles and grants: --role invoker is refused on changes, a grant lets another developer change a module', async () => {
  const device = `device_${process.pid}`;
  const bob = `bob_${process.pid}`;
  const mod = `owned_${process.pid}`;
  const created = await run('admin', 'subject', 'create', device, '--role', 'invoker', '--json');
  assert.equal(created.code, 0, created.stderr);
  const deviceData = JSON.parse(created.stdout) as { role: string; token: string };
  assert.equal(deviceData.role, 'invoker');
  assert.match((await run('admin', 'subject', 'list')).stdout, new RegExp(`\\n${device} +invoker\\n`));
  assertError(
    await run('admin', 'subject', 'create', `x_${process.pid}`, '--role', 'boss'),
    /'boss' is invalid\. Allowed choices are developer, invoker/,
  );

  // The invoker reads but changes nothing; the Core says which role it would need.
  const asDevice = (...args: string[]) =>
    fl(args, { env: { ...env, FL_API_TOKEN: deviceData.token }, cwd: work.dir });
  assert.equal((await asDevice('mod', 'list')).code, 0);
  assertError(
    await asDevice('mod', 'create', mod),
    new RegExp(
      `${device} has the invoker role, which may only read and invoke functions: POST /v1/fn needs the developer role`,
    ),
  );

  // Without --role a subject is a developer; the guest's module is not its to change, until a grant.
  const bobData = JSON.parse((await run('admin', 'subject', 'create', bob, '--json')).stdout) as {
    role: string;
    token: string;
  };
  assert.equal(bobData.role, 'developer');
  const asBob = (...args: string[]) =>
    fl(args, { env: { ...env, FL_API_TOKEN: bobData.token }, cwd: work.dir });
  assert.equal((await run('mod', 'create', mod)).code, 0);
  assertError(
    await asBob('mod', 'rename', mod, `${mod}_b`),
    new RegExp(`module ${mod} belongs to guest: ${bob} may not rename it`),
  );
  assert.equal((await run('admin', 'module', 'grant', mod, bob)).stdout, `${bob} may change module ${mod}\n`);
  assert.match(
    (await run('admin', 'module', 'show', mod)).stdout,
    new RegExp(`owner: +guest\\ngrants: +${bob}\\n`),
  );
  assert.equal((await asBob('mod', 'rename', mod, `${mod}_b`)).code, 0);
  assert.equal((await asBob('mod', 'rename', `${mod}_b`, mod)).code, 0);
  assert.equal((await run('admin', 'module', 'revoke', mod, bob)).code, 0);
  assertError(await asBob('mod', 'delete', mod), new RegExp(`module ${mod} belongs to guest`));
  assertError(
    await run('admin', 'module', 'revoke', mod, bob),
    new RegExp(`${bob} has no grant on module ${mod}`),
  );

  // A role change applies at once.
  assert.equal(
    (await run('admin', 'subject', 'role', device, 'developer')).stdout,
    `subject ${device} has the developer role\n`,
  );
  assert.equal((await asDevice('mod', 'create', `${mod}_d`)).code, 0);
  assert.equal((await asDevice('mod', 'delete', `${mod}_d`)).code, 0);
  assert.equal((await run('mod', 'delete', mod)).code, 0);
  for (const name of [device, bob]) assert.equal((await run('admin', 'subject', 'delete', name)).code, 0);
});

test('fl login checks the token against the Core before saving it', async () => {
  const home = join(work.dir, 'login_home');
  const loginEnv = cleanEnv({ HOME: home, FL_DATA_DIR: join(work.dir, 'nowhere') });
  const refused = await fl(['login', '--host', core.url, '--token', 'wrong-token'], {
    env: loginEnv,
    cwd: work.dir,
  });
  assertError(refused, /./);
  await assert.rejects(access(join(home, '.fl', 'config')), 'nothing saved after a refused login');

  const admin = await fl(['config', 'get', 'admin_token'], { env, cwd: work.dir });
  const ok = await fl(['login', '--host', core.url, '--admin', '--token', admin.stdout.trim()], {
    env: loginEnv,
    cwd: work.dir,
  });
  assert.equal(ok.code, 0, ok.stderr);
  const subjects = await fl(['admin', 'subject', 'list'], { env: loginEnv, cwd: work.dir });
  assert.equal(subjects.code, 0, subjects.stderr);
});

test('an unreachable Core is one clear error line', async () => {
  const result = await fl(['mod', 'list'], {
    env: { ...env, FL_API_HOST: 'http://127.0.0.1:9' },
    cwd: work.dir,
  });
  assertError(result, /cannot reach the Core at http:\/\/127\.0\.0\.1:9/);
});

test('the installed fl command runs as an executable, through a symlink and under sh, passing its arguments', async () => {
  const { execFile } = await import('node:child_process');
  const { symlink } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const shim = fileURLToPath(new URL('../../bin/fl.js', import.meta.url));
  const { dir, cleanup } = await tempDir();
  const link = join(dir, 'fl');
  await symlink(shim, link);
  after(cleanup);
  const run = (file: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        file,
        args,
        { env: cleanEnv({}), cwd: dir, timeout: 30_000, encoding: 'utf8' },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  for (const [file, args] of [
    [shim, ['--version']],
    [link, ['--version']],
    ['sh', [link, '--version']],
  ] as const) {
    const out = await run(file, [...args]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^\d+\.\d+\.\d+\n$/);
  }
  // An argument with spaces arrives whole.
  const spaced = await run(link, ['fn', 'invoke', 'a b']);
  assert.equal(spaced.code, 1);
  assert.match(spaced.stderr, /^fl: error: invalid function name "a b"/);
});
