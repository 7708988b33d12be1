import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import type { Command } from 'commander';

import { createProgram, runCli } from '../src/program.js';
import { memoryIo } from './support/memory-io.js';
import { tempDir } from './support/temp-dir.js';

function leafCommands(command: Command, path: string[] = []): string[][] {
  if (command.commands.length === 0) return [path];
  return command.commands.flatMap((sub) => leafCommands(sub, [...path, sub.name()]));
}

test('every command has --help with an example', async () => {
  const io = memoryIo({}, '/');
  const commands = leafCommands(createProgram(io)).filter((path) => path.at(-1) !== 'help');
  assert.ok(commands.length >= 30, `found ${commands.length} commands`);
  for (const path of commands) {
    const help = memoryIo({}, '/');
    const code = await runCli([...path, '--help'], help);
    assert.equal(code, 0, `fl ${path.join(' ')} --help exits 0`);
    assert.match(help.out(), /Usage: fl /, `fl ${path.join(' ')} --help shows usage`);
    assert.match(
      help.out(),
      /Examples?:\n {2}\$ (fl|npm|FL_|cat)/,
      `fl ${path.join(' ')} --help shows an example`,
    );
  }
});

test('an unknown option or a missing argument is an fl: error with exit code 1', async () => {
  const io = memoryIo({}, '/');
  assert.equal(await runCli(['fn', 'list', '--bogus'], io), 1);
  // One line, with the hint to --help on it.
  assert.equal(io.err(), "fl: error: unknown option '--bogus' (add --help for usage)\n");
  const io2 = memoryIo({}, '/');
  assert.equal(await runCli(['fn', 'invoke'], io2), 1);
  assert.match(io2.err(), /^fl: error: missing required argument 'name' \(add --help for usage\)\n$/);
  const io3 = memoryIo({}, '/');
  assert.equal(await runCli(['bogus'], io3), 1);
  assert.match(io3.err(), /^fl: error: unknown command 'bogus' \(add --help for usage\)\n$/);
});

test('bad -j JSON fails before any request, with a clear message', async () => {
  // No Core runs at this address: the error must come from the argument, not the network.
  const io = memoryIo({ FL_API_HOST: 'http://127.0.0.1:9' }, '/');
  assert.equal(await runCli(['fn', 'invoke', 'hello', '-j', '{"name":'], io), 1);
  assert.match(io.err(), /^fl: error: -j is not valid JSON: /);
  assert.equal(io.out(), '');
});

test('an unknown -l for fn new lists the languages', async () => {
  const io = memoryIo({}, '/');
  assert.equal(await runCli(['fn', 'new', 'x', '-l', 'cobol'], io), 1);
  assert.match(io.err(), /unknown language "cobol": use one of js, ts, as, c, wat, rust/);
});

test('fl config set/get/unset write ~/.fl/config under $HOME and FL_API_HOST overrides it', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const env = { HOME: dir };
    assert.equal(await runCli(['config', 'set', 'api_host', '10.1.2.3:4000'], memoryIo(env, dir)), 0);
    assert.equal(await runCli(['config', 'set', 'api_token', 'tok'], memoryIo(env, dir)), 0);
    assert.equal(
      await readFile(join(dir, '.fl', 'config'), 'utf8'),
      'api_host=http://10.1.2.3:4000\napi_token=tok\n',
    );

    const get = memoryIo(env, dir);
    assert.equal(await runCli(['config', 'get', 'api_host'], get), 0);
    assert.equal(get.out(), 'http://10.1.2.3:4000\n');

    const overridden = memoryIo({ ...env, FL_API_HOST: 'http://other:1' }, dir);
    assert.equal(await runCli(['config', 'get', 'api_host'], overridden), 0);
    assert.equal(overridden.out(), 'http://other:1\n');

    const all = memoryIo(env, dir);
    assert.equal(await runCli(['config', 'get', '--json'], all), 0);
    const shown = JSON.parse(all.out());
    assert.deepEqual(shown.api_token, { value: '********', source: 'config' }, 'tokens are masked');

    assert.equal(await runCli(['config', 'unset', 'api_token'], memoryIo(env, dir)), 0);
    const missing = memoryIo(env, dir);
    assert.equal(await runCli(['config', 'get', 'api_token'], missing), 1);
    assert.match(missing.err(), /fl: error: api_token is not set/);

    const bad = memoryIo(env, dir);
    assert.equal(await runCli(['config', 'set', 'colour', 'blue'], bad), 1);
    assert.match(bad.err(), /unknown config key "colour": use one of api_host, api_token, admin_token/);
  } finally {
    await cleanup();
  }
});

test('a malformed config file is reported with its path and line', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, '.fl'));
    await writeFile(join(dir, '.fl', 'config'), 'api_host=http://x:1\noops\n');
    const io = memoryIo({ HOME: dir }, dir);
    assert.equal(await runCli(['mod', 'list'], io), 1);
    assert.match(io.err(), new RegExp(`fl: error: ${join(dir, '.fl', 'config')}:2: expected key=value`));
  } finally {
    await cleanup();
  }
});
