import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

import { CliError } from '../errors/index.js';

/** Keys of `~/.fl/config` (FunLess's format: `key=value` lines). */
export const CONFIG_KEYS = ['api_host', 'api_token', 'admin_token'] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
export type ConfigValues = Partial<Record<ConfigKey, string>>;

export function isConfigKey(key: string): key is ConfigKey {
  return (CONFIG_KEYS as readonly string[]).includes(key);
}

/**
 * Parses `key=value` lines. Blank lines and lines starting with `#` are skipped; spaces around
 * the key and the value are trimmed; unknown keys are ignored so that a newer file still loads.
 * A non-blank line without `=` is an error naming the line.
 */
export function parseConfig(text: string, source = 'config'): ConfigValues {
  const values: ConfigValues = {};
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) {
      throw new CliError(`${source}:${index + 1}: expected key=value, got "${line}"`);
    }
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (isConfigKey(key)) values[key] = value;
  }
  return values;
}

/** The inverse of `parseConfig`, keys in a stable order. */
export function serializeConfig(values: ConfigValues): string {
  return CONFIG_KEYS.filter((key) => values[key] !== undefined)
    .map((key) => `${key}=${values[key]}\n`)
    .join('');
}

/** `~/.fl/config`, where `~` is `$HOME` when set (tests point it at a temp dir). */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME || homedir(), '.fl', 'config');
}

/** Reads the config file; a missing file is an empty config. */
export async function readConfigFile(path: string): Promise<ConfigValues> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(text, path);
}

/** Writes the config file with mode 0600: it holds tokens. */
export async function writeConfigFile(path: string, values: ConfigValues): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, serializeConfig(values), { mode: 0o600 });
  await chmod(path, 0o600);
}
