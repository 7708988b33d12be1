import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The tokens the Core writes at its first start (docs/configuration.md, "First start and tokens"). */
export interface PlatformTokens {
  admin?: string;
  guest?: string;
}

/** `$FL_DATA_DIR/tokens`, where FL_DATA_DIR defaults to `.funless` under `cwd`. */
export function tokensPath(env: NodeJS.ProcessEnv, cwd: string): string {
  return join(resolve(cwd, env.FL_DATA_DIR || '.funless'), 'tokens');
}

/** Parses `Admin=<token>` / `Guest=<token>` lines; other lines are ignored. */
export function parseTokens(text: string): PlatformTokens {
  const tokens: PlatformTokens = {};
  for (const raw of text.split(/\r?\n/)) {
    const eq = raw.indexOf('=');
    if (eq <= 0) continue;
    const key = raw.slice(0, eq).trim().toLowerCase();
    const value = raw.slice(eq + 1).trim();
    if (value === '') continue;
    if (key === 'admin') tokens.admin = value;
    else if (key === 'guest') tokens.guest = value;
  }
  return tokens;
}

/** Reads the tokens file; a missing or unreadable file gives no tokens. */
export async function readTokensFile(path: string): Promise<PlatformTokens> {
  try {
    return parseTokens(await readFile(path, 'utf8'));
  } catch {
    return {};
  }
}
