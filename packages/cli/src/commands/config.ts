import type { Command } from 'commander';

import { ApiClient, FunlessApi } from '../client/index.js';
import {
  CONFIG_KEYS,
  configPath,
  isConfigKey,
  normalizeApiHost,
  readConfigFile,
  writeConfigFile,
  type ConfigKey,
} from '../config/index.js';
import { CliError } from '../errors/index.js';
import { formatTable } from '../output/index.js';
import { example, jsonOption, type CommandContext } from './context.js';

function checkKey(key: string): ConfigKey {
  if (!isConfigKey(key))
    throw new CliError(`unknown config key "${key}": use one of ${CONFIG_KEYS.join(', ')}`);
  return key;
}

function mask(token: string | undefined): string | undefined {
  return token === undefined
    ? undefined
    : token.length <= 8
      ? '********'
      : `${token.slice(0, 4)}…${token.slice(-4)}`;
}

/** `fl config set|get|unset` and `fl login`. */
export function registerConfigCommands(program: Command, ctx: CommandContext): void {
  const config = program
    .command('config')
    .description(`read and write ~/.fl/config (${CONFIG_KEYS.join(', ')})`);
  example(config, 'fl config set api_host http://10.0.0.5:4000', 'fl config get');

  example(
    config.command('set <key> <value>').description('store a value in ~/.fl/config'),
    'fl config set api_host http://10.0.0.5:4000',
    'fl config set api_token <token>',
  ).action(async (key: string, value: string) => {
    const k = checkKey(key);
    const stored = k === 'api_host' ? normalizeApiHost(value, 'api_host') : value.trim();
    if (stored === '') throw new CliError(`${k} cannot be empty: use \`fl config unset ${k}\``);
    const path = configPath(ctx.io.env);
    const values = await readConfigFile(path);
    values[k] = stored;
    await writeConfigFile(path, values);
    ctx.out(`set ${k} in ${path}`);
  });

  example(
    config.command('unset <key>').description('remove a value from ~/.fl/config'),
    'fl config unset api_token',
  ).action(async (key: string) => {
    const k = checkKey(key);
    const path = configPath(ctx.io.env);
    const values = await readConfigFile(path);
    delete values[k];
    await writeConfigFile(path, values);
    ctx.out(`unset ${k} in ${path}`);
  });

  example(
    jsonOption(
      config
        .command('get [key]')
        .description('print one effective value, or all of them with where they come from (tokens masked)'),
    ),
    'fl config get',
    'fl config get api_host',
  ).action(async (key: string | undefined, opts: { json?: boolean }) => {
    const s = await ctx.settings();
    const rows = [
      { key: 'api_host', value: s.apiHost, shown: s.apiHost, source: s.apiHostSource },
      { key: 'api_token', value: s.apiToken, shown: mask(s.apiToken), source: s.apiTokenSource },
      { key: 'admin_token', value: s.adminToken, shown: mask(s.adminToken), source: s.adminTokenSource },
    ];
    if (key !== undefined) {
      const row = rows.find((r) => r.key === checkKey(key))!;
      if (row.value === undefined)
        throw new CliError(`${key} is not set (no env variable, config entry or tokens file)`);
      return ctx.out(row.value);
    }
    if (opts.json) {
      return ctx.json({
        ...Object.fromEntries(rows.map((r) => [r.key, { value: r.shown ?? null, source: r.source }])),
        config_file: s.configPath,
        tokens_file: s.tokensPath,
      });
    }
    ctx.out(
      formatTable(rows, [
        { header: 'key', value: (r) => r.key },
        { header: 'value', value: (r) => r.shown },
        { header: 'source', value: (r) => r.source },
      ]),
    );
    ctx.out(`config file: ${s.configPath}\ntokens file: ${s.tokensPath}`);
  });

  example(
    program
      .command('login')
      .description('check a token against the Core and store it (and the host) in ~/.fl/config')
      .option('--host <url>', 'the Core to log in to (default: the configured api_host)')
      .option('--token <token>', 'the token (default: read from stdin)')
      .option('--admin', 'store it as the admin token (checked on an admin route)'),
    'fl login --host http://10.0.0.5:4000 --token <token>',
    'cat token.txt | fl login --admin',
  ).action(async (opts: { host?: string; token?: string; admin?: boolean }) => {
    const settings = await ctx.settings();
    const host = opts.host === undefined ? settings.apiHost : normalizeApiHost(opts.host, '--host');
    let token = opts.token;
    if (token === undefined) {
      if (!ctx.io.readStdin) throw new CliError('no --token given');
      if (ctx.io.stdout.isTTY) ctx.io.stderr.write('token (then Enter and Ctrl-D): ');
      token = (await ctx.io.readStdin()).trim();
    }
    if (token === '') throw new CliError('the token is empty');
    const api = new FunlessApi(new ApiClient({ baseUrl: host, token, adminToken: token }));
    if (opts.admin) await api.listSubjects();
    else await api.listModules();
    const path = configPath(ctx.io.env);
    const values = await readConfigFile(path);
    if (opts.host !== undefined) values.api_host = host;
    values[opts.admin ? 'admin_token' : 'api_token'] = token;
    await writeConfigFile(path, values);
    ctx.out(`logged in to ${host}${opts.admin ? ' as admin' : ''}; saved to ${path}`);
  });
}
