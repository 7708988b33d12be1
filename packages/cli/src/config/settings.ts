import { envInt } from '@funless/protocol';

import { CliError } from '../errors/index.js';
import { configPath, readConfigFile, type ConfigValues } from './config-file.js';
import { readTokensFile, tokensPath, type PlatformTokens } from './tokens-file.js';

/** Where a setting came from, for `fl config get` and for error hints. */
export type SettingSource = 'env' | 'config' | 'tokens-file' | 'default' | 'none';

/** What every API command needs: where the Core is and which tokens to send. */
export interface Settings {
  /** Base URL of the Core, without a trailing slash, e.g. `http://127.0.0.1:4000`. */
  apiHost: string;
  apiHostSource: SettingSource;
  /** Token for the function, module, script and worker routes. */
  apiToken?: string;
  apiTokenSource: SettingSource;
  /** Token for the admin routes (subjects). */
  adminToken?: string;
  adminTokenSource: SettingSource;
  /** The config file the values were read from. */
  configPath: string;
  /** The platform tokens file consulted when no token is configured. */
  tokensPath: string;
}

export interface ResolveSettingsOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * The default Core address: the one `npm start` / `fl up` listens on. Throws `ConfigError` when
 * `FL_PORT` is not a port number.
 */
export function defaultApiHost(env: NodeJS.ProcessEnv): string {
  return `http://127.0.0.1:${envInt(env, 'FL_PORT', { max: 65_535 }) ?? 4000}`;
}

/** Accepts `host:port`, `http://host:port/` and the like; refuses anything that is not HTTP(S). */
export function normalizeApiHost(value: string, source: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`${source} is not a valid URL: "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`${source} must be an http:// or https:// URL, got "${value}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * Merges, highest first: environment (`FL_API_HOST`, `FL_API_TOKEN`), `~/.fl/config`, then the
 * platform's own `$FL_DATA_DIR/tokens` (so that right after `npm start` the CLI works with no
 * configuration: the Guest token for the API, the Admin token for admin routes), then defaults.
 */
export function mergeSettings(
  env: NodeJS.ProcessEnv,
  file: ConfigValues,
  tokens: PlatformTokens,
  paths: { configPath: string; tokensPath: string },
): Settings {
  const [apiHostRaw, apiHostSource]: [string, SettingSource] = env.FL_API_HOST
    ? [env.FL_API_HOST, 'env']
    : file.api_host
      ? [file.api_host, 'config']
      : [defaultApiHost(env), 'default'];
  const apiHost = normalizeApiHost(
    apiHostRaw,
    apiHostSource === 'env' ? 'FL_API_HOST' : apiHostSource === 'config' ? 'api_host' : 'FL_PORT',
  );

  const [apiToken, apiTokenSource] = pick([
    [env.FL_API_TOKEN, 'env'],
    [file.api_token, 'config'],
    [tokens.guest, 'tokens-file'],
  ]);
  const [adminToken, adminTokenSource] = pick([
    [file.admin_token, 'config'],
    [env.FL_ADMIN_TOKEN, 'env'],
    [tokens.admin, 'tokens-file'],
  ]);
  return { apiHost, apiHostSource, apiToken, apiTokenSource, adminToken, adminTokenSource, ...paths };
}

function pick(candidates: [string | undefined, SettingSource][]): [string | undefined, SettingSource] {
  for (const [value, source] of candidates) if (value) return [value, source];
  return [undefined, 'none'];
}

/** Reads the config file and the tokens file and merges them with the environment. */
export async function resolveSettings(options: ResolveSettingsOptions = {}): Promise<Settings> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const paths = { configPath: configPath(env), tokensPath: tokensPath(env, cwd) };
  const file = await readConfigFile(paths.configPath);
  const needTokens = !(env.FL_API_TOKEN || file.api_token) || !(file.admin_token || env.FL_ADMIN_TOKEN);
  const tokens = needTokens ? await readTokensFile(paths.tokensPath) : {};
  return mergeSettings(env, file, tokens, paths);
}
