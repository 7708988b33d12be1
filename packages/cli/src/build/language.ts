import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { CliError } from '../errors/index.js';

/** Languages `fl fn build` compiles. */
export const LANGUAGES = ['as', 'c', 'wat', 'rust'] as const;
export type Language = (typeof LANGUAGES)[number];

const ALIASES: Record<string, Language> = {
  as: 'as',
  assemblyscript: 'as',
  ts: 'as',
  c: 'c',
  wat: 'wat',
  wast: 'wat',
  rust: 'rust',
  rs: 'rust',
};

/** Reads `-l` (also accepts `assemblyscript`, `rs`…); an unknown name lists the valid ones. */
export function parseLanguage(value: string): Language {
  const language = ALIASES[value.toLowerCase()];
  if (!language) throw new CliError(`unknown language "${value}": use one of ${LANGUAGES.join(', ')}`);
  return language;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Tells the language of a source file or project directory: `Cargo.toml` → Rust,
 * `assembly/index.ts` or `asconfig.json` → AssemblyScript, `*.c` → C, `*.wat` → WAT.
 */
export async function detectLanguage(path: string): Promise<Language> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`${path} does not exist`);
  }
  if (info.isFile()) {
    const byExtension: Record<string, Language> = { '.ts': 'as', '.c': 'c', '.wat': 'wat', '.wast': 'wat' };
    const language = byExtension[extname(path).toLowerCase()];
    if (!language) throw new CliError(`cannot tell the language of ${path}: expected a .ts, .c or .wat file`);
    return language;
  }
  if (await exists(join(path, 'Cargo.toml'))) return 'rust';
  if ((await exists(join(path, 'assembly', 'index.ts'))) || (await exists(join(path, 'asconfig.json'))))
    return 'as';
  const entries = await readdir(path);
  if (entries.some((e) => e.endsWith('.c')) || (await hasFiles(join(path, 'src'), '.c'))) return 'c';
  if (entries.some((e) => e.endsWith('.wat'))) return 'wat';
  throw new CliError(
    `cannot tell the language of ${path}: expected assembly/index.ts (AssemblyScript), *.c (C), ` +
      'Cargo.toml (Rust) or *.wat (WAT); pass -l <language>',
  );
}

async function hasFiles(dir: string, extension: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((e) => e.endsWith(extension));
  } catch {
    return false;
  }
}
