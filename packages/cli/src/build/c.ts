import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

import { CliError } from '../errors/index.js';
import { runWasmClang } from './wasm-clang.js';

/** Where a C project's sources are: its folder and its `src` folder. */
const SOURCE_DIRS = ['.', 'src'] as const;

/** The file names in `dir/sub`, sorted; none when the folder does not exist. */
async function filesIn(dir: string, sub: string): Promise<string[]> {
  try {
    return (await readdir(join(dir, sub))).sort();
  } catch {
    return [];
  }
}

/** The files of `dir` and `dir/src` whose names match, relative to `dir`. */
async function listFiles(dir: string, pattern: RegExp): Promise<string[]> {
  const files: string[] = [];
  for (const sub of SOURCE_DIRS) {
    for (const e of await filesIn(dir, sub)) if (pattern.test(e)) files.push(join(sub, e));
  }
  return files;
}

/**
 * Compiles C to a WASI module. Sources with a `main` become a WASI command (JSON on stdin/stdout);
 * otherwise the module has no entry point and exports `__invoke` (the FunLess ABI, as `funless.h`
 * defines it). The toolchain is Debian's clang or the npm one (`runWasmClang`); returns which
 * one built it.
 */
export async function buildC(source: string, outFile: string, env: NodeJS.ProcessEnv): Promise<string> {
  const isFile = source.endsWith('.c');
  const dir = isFile ? resolve(source, '..') : resolve(source);
  const sources = isFile ? [relative(dir, resolve(source))] : await listFiles(dir, /\.c$/);
  if (sources.length === 0) throw new CliError(`no .c files in ${dir} (or ${join(dir, 'src')})`);
  const texts = await Promise.all(sources.map((s) => readFile(join(dir, s), 'utf8')));
  const isCommand = texts.some((t) => /\bint\s+main\s*\(/.test(t));
  const entryArgs = isCommand ? [] : ['-nostartfiles', '-Wl,--no-entry', '-Wl,--export-if-defined=__invoke'];
  return runWasmClang({
    dir,
    inputs: [...new Set([...sources, ...(await listFiles(dir, /\.h$/))])],
    args: ['-O2', '-I.', '-Wl,--strip-all', ...entryArgs, ...sources],
    output: resolve(outFile),
    what: `C build in ${dir}`,
    env,
  });
}
