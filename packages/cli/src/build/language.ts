import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

import { CliError } from '../errors/index.js';
import { findJsEntry, isTypeScript, JS_EXTENSIONS } from './javascript/index.js';
import { exists } from './path-exists.js';

/** Languages `fl fn build` compiles. */
export const LANGUAGES = ['js', 'ts', 'as', 'c', 'wat', 'rust'] as const;
export type Language = (typeof LANGUAGES)[number];

const ALIASES: Record<string, Language> = {
  js: 'js',
  javascript: 'js',
  ts: 'ts',
  typescript: 'ts',
  as: 'as',
  assemblyscript: 'as',
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

/**
 * Tells the language of a source file or project directory: `Cargo.toml` → Rust,
 * `assembly/index.ts` or `asconfig.json` → AssemblyScript, `*.c` → C, `*.wat` → WAT, a
 * JavaScript or TypeScript entry module (package.json `main`, `index.ts`, `index.js`…) → `js` or
 * `ts` (a `.ts` entry or a tsconfig.json).
 */
export async function detectLanguage(path: string): Promise<Language> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`${path} does not exist`);
  }
  if (info.isFile()) {
    const extension = extname(path).toLowerCase();
    if ((JS_EXTENSIONS as readonly string[]).includes(extension)) return isTypeScript(path) ? 'ts' : 'js';
    const byExtension: Record<string, Language> = { '.c': 'c', '.wat': 'wat', '.wast': 'wat' };
    const language = byExtension[extension];
    if (!language) {
      throw new CliError(`cannot tell the language of ${path}: expected a .js, .ts, .c or .wat file`);
    }
    return language;
  }
  if (await exists(join(path, 'Cargo.toml'))) return 'rust';
  if ((await exists(join(path, 'assembly', 'index.ts'))) || (await exists(join(path, 'asconfig.json'))))
    return 'as';
  const entries = await readdir(path);
  if (entries.some((e) => e.endsWith('.c')) || (await hasFiles(join(path, 'src'), '.c'))) return 'c';
  if (entries.some((e) => e.endsWith('.wat'))) return 'wat';
  const entry = await findJsEntry(path);
  if (entry) return isTypeScript(entry) || entries.includes('tsconfig.json') ? 'ts' : 'js';
  throw new CliError(
    `cannot tell the language of ${path}: expected index.js or package.json (JavaScript), index.ts ` +
      '(TypeScript), assembly/index.ts (AssemblyScript), *.c (C), Cargo.toml (Rust) or *.wat (WAT); ' +
      'pass -l <language>',
  );
}

async function hasFiles(dir: string, extension: string): Promise<boolean> {
  try {
    return (await readdir(dir)).some((e) => e.endsWith(extension));
  } catch {
    return false;
  }
}
