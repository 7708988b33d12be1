import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

import { CliError } from '../../errors/index.js';

/** File extensions of JavaScript and TypeScript entry modules. */
export const JS_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/** Entry modules looked for in a project without a `main` in its package.json, in this order. */
const ENTRY_CANDIDATES = [
  'index.ts',
  'index.js',
  'index.mjs',
  'src/index.ts',
  'src/index.js',
  'src/index.mjs',
];

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Whether `path` is a TypeScript file. */
export function isTypeScript(path: string): boolean {
  return ['.ts', '.mts', '.cts'].includes(extname(path).toLowerCase());
}

/**
 * The entry module of a JavaScript or TypeScript project: package.json's `main`, else
 * `index.ts`, `index.js`, `index.mjs`, then the same under `src/`. Undefined when there is none.
 */
export async function findJsEntry(dir: string): Promise<string | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { main?: unknown };
    if (typeof manifest.main === 'string') {
      const main = resolve(dir, manifest.main);
      if (await isFile(main)) return main;
      throw new CliError(`package.json in ${dir} names "main": "${manifest.main}", which does not exist`);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    // No package.json, or one without main: look for the usual names.
  }
  for (const candidate of ENTRY_CANDIDATES) {
    const path = join(dir, candidate);
    if (await isFile(path)) return path;
  }
  return undefined;
}
