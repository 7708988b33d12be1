import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  mergeSettings,
  normalizeApiHost,
  parseConfig,
  parseTokens,
  readConfigFile,
  resolveSettings,
  serializeConfig,
  writeConfigFile,
} from '../src/config/index.js';
import { CliError } from '../src/errors/index.js';
import { tempDir } from './support/temp-dir.js';

const PATHS = { configPath: '/c', tokensPath: '/t' };

test('parseConfig reads key=value lines, skipping blanks, comments and unknown keys, trimming spaces', () => {
  const text =
    '# FunLess CLI\n\napi_host = http://h:1 \napi_token=abc=def\r\nsomething_else=1\nadmin_token=\n';
  assert.deepEqual(parseConfig(text), { api_host: 'http://h:1', api_token: 'abc=def', admin_token: '' });
});

test('parseConfig rejects a line without = and names the file and line', () => {
  assert.throws(
    () => parseConfig('api_host=x\nthis is wrong\n', '/home/u/.fl/config'),
    (error: unknown) =>
      error instanceof CliError && /\/home\/u\/\.fl\/config:2: expected key=value/.test(error.message),
  );
});

test('serializeConfig round-trips through parseConfig in a stable key order', () => {
  const values = { admin_token: 'a', api_host: 'http://h:1', api_token: 't' };
  assert.equal(serializeConfig(values), 'api_host=http://h:1\napi_token=t\nadmin_token=a\n');
  assert.deepEqual(parseConfig(serializeConfig(values)), values);
});

test('parseTokens reads the Admin= and Guest= lines of the platform tokens file', () => {
  assert.deepEqual(parseTokens('Admin=AAA\nGuest=GGG\n'), { admin: 'AAA', guest: 'GGG' });
  assert.deepEqual(parseTokens('garbage\nGuest=\n'), {});
});

test('settings precedence: environment over config file over tokens file over defaults', () => {
  const file = { api_host: 'http://file:1', api_token: 'file-token', admin_token: 'file-admin' };
  const tokens = { admin: 'tok-admin', guest: 'tok-guest' };
  const env = { FL_API_HOST: 'http://env:2', FL_API_TOKEN: 'env-token' };

  const all = mergeSettings(env, file, tokens, PATHS);
  assert.equal(all.apiHost, 'http://env:2');
  assert.equal(all.apiToken, 'env-token');
  assert.equal(all.apiTokenSource, 'env');
  assert.equal(all.adminToken, 'file-admin');

  const noEnv = mergeSettings({}, file, tokens, PATHS);
  assert.deepEqual(
    [noEnv.apiHost, noEnv.apiToken, noEnv.apiTokenSource],
    ['http://file:1', 'file-token', 'config'],
  );

  const onlyTokens = mergeSettings({}, {}, tokens, PATHS);
  assert.deepEqual(
    [onlyTokens.apiHost, onlyTokens.apiHostSource, onlyTokens.apiToken, onlyTokens.adminToken],
    ['http://127.0.0.1:4000', 'default', 'tok-guest', 'tok-admin'],
  );

  const nothing = mergeSettings({ FL_PORT: '8080' }, {}, {}, PATHS);
  assert.equal(nothing.apiHost, 'http://127.0.0.1:8080');
  assert.equal(nothing.apiToken, undefined);
  assert.equal(nothing.apiTokenSource, 'none');
});

test('FL_ADMIN_TOKEN is the admin token when the config file has none', () => {
  const s = mergeSettings({ FL_ADMIN_TOKEN: 'preset' }, {}, { admin: 'from-file' }, PATHS);
  assert.equal(s.adminToken, 'preset');
});

test('normalizeApiHost adds http://, drops the trailing slash and refuses other schemes', () => {
  assert.equal(normalizeApiHost('10.0.0.5:4000', 'x'), 'http://10.0.0.5:4000');
  assert.equal(normalizeApiHost('https://fl.example.com/', 'x'), 'https://fl.example.com');
  assert.throws(() => normalizeApiHost('ftp://h', 'FL_API_HOST'), /FL_API_HOST must be an http/);
  assert.throws(() => normalizeApiHost('http://', 'api_host'), /api_host is not a valid URL/);
});

test('a bad FL_API_HOST is reported naming the variable', () => {
  assert.throws(() => mergeSettings({ FL_API_HOST: 'gopher://x' }, {}, {}, PATHS), /FL_API_HOST/);
});

test('resolveSettings reads $HOME/.fl/config and $FL_DATA_DIR/tokens relative to the working directory', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await mkdir(join(dir, '.fl'));
    await writeFile(join(dir, '.fl', 'config'), 'api_host=http://cfg:9\n');
    await mkdir(join(dir, 'work', 'data'), { recursive: true });
    await writeFile(join(dir, 'work', 'data', 'tokens'), 'Admin=A1\nGuest=G1\n');
    const s = await resolveSettings({ env: { HOME: dir, FL_DATA_DIR: 'data' }, cwd: join(dir, 'work') });
    assert.equal(s.apiHost, 'http://cfg:9');
    assert.equal(s.apiToken, 'G1');
    assert.equal(s.adminToken, 'A1');
    assert.equal(s.tokensPath, join(dir, 'work', 'data', 'tokens'));

    // Without FL_DATA_DIR the tokens file is .funless/tokens under the working directory.
    const d = await resolveSettings({ env: { HOME: dir }, cwd: join(dir, 'work') });
    assert.equal(d.tokensPath, join(dir, 'work', '.funless', 'tokens'));
    assert.equal(d.apiToken, undefined);
  } finally {
    await cleanup();
  }
});

test('writeConfigFile creates ~/.fl with a 0600 file that readConfigFile reads back', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const path = join(dir, '.fl', 'config');
    assert.deepEqual(await readConfigFile(path), {}, 'a missing file is an empty config');
    await writeConfigFile(path, { api_token: 'secret' });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await readFile(path, 'utf8'), 'api_token=secret\n');
    assert.deepEqual(await readConfigFile(path), { api_token: 'secret' });
  } finally {
    await cleanup();
  }
});

test('a bad FL_PORT is refused naming the variable and the range', () => {
  assert.throws(
    () => mergeSettings({ FL_PORT: 'eighty' }, {}, {}, PATHS),
    /^ConfigError: FL_PORT must be an integer from 0 to 65535, got "eighty"$/,
  );
  assert.throws(
    () => mergeSettings({ FL_PORT: '70000' }, {}, {}, PATHS),
    /FL_PORT must be an integer from 0 to 65535/,
  );
});
