import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';

import type { Command } from '@yowasp/clang';

import { BuildFailedError, CliError, ToolchainMissingError } from '../errors/index.js';
import { runTool } from './run-tool.js';

const INSTALL = 'apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The wasi-libc sysroot: `$WASI_SYSROOT`, Debian's `/usr` layout, or the upstream SDK's. */
async function findSysroot(env: NodeJS.ProcessEnv): Promise<string> {
  const candidates = [
    env.WASI_SYSROOT,
    '/usr',
    '/usr/share/wasi-sysroot',
    '/opt/wasi-sdk/share/wasi-sysroot',
  ];
  for (const root of candidates) {
    if (!root) continue;
    const layouts = root === '/usr' ? ['wasm32-wasi'] : ['wasm32-wasi', '.'];
    for (const layout of layouts) {
      if (await exists(join(root, 'include', layout, 'stdlib.h'))) return root;
    }
  }
  throw new ToolchainMissingError(`wasi-libc is not installed: run \`${INSTALL}\` (or set WASI_SYSROOT)`);
}

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

async function listSources(dir: string): Promise<string[]> {
  const sources: string[] = [];
  for (const sub of SOURCE_DIRS) {
    for (const e of await filesIn(dir, sub)) if (e.endsWith('.c')) sources.push(join(dir, sub, e));
  }
  return sources;
}

/** The .c and .h files of `dir` and `dir/src`, as the in-memory tree the npm clang reads. */
async function sourceTree(dir: string): Promise<Record<string, Record<string, Uint8Array> | Uint8Array>> {
  const tree: Record<string, Record<string, Uint8Array> | Uint8Array> = {};
  for (const sub of SOURCE_DIRS) {
    const files: Record<string, Uint8Array> = {};
    for (const e of await filesIn(dir, sub)) {
      if (/\.[ch]$/.test(e)) files[e] = new Uint8Array(await readFile(join(dir, sub, e)));
    }
    if (sub === '.') Object.assign(tree, files);
    else tree[sub] = files;
  }
  return tree;
}

type NpmClang = Command;

/** How a build with the npm toolchain is reported. */
const NPM_TOOLCHAIN = 'npm @yowasp/clang, wasm32-wasip1';

/** The npm toolchain (clang, lld and wasi-libc compiled to WebAssembly), if it is installed. */
async function loadNpmClang(): Promise<NpmClang | undefined> {
  try {
    return (await import('@yowasp/clang')).commands.clang;
  } catch {
    return undefined;
  }
}

/**
 * Builds with the npm toolchain: in this process, on an in-memory copy of the sources. Its
 * newer clang names the target wasm32-wasip1 (the same ABI as Debian's wasm32-wasi).
 */
async function buildWithNpmClang(
  clang: NpmClang,
  dir: string,
  sources: string[],
  entryArgs: string[],
  outFile: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let output = '';
  const collect = (bytes: Uint8Array | null) => {
    if (bytes) output += decoder.decode(bytes, { stream: true });
  };
  const args = [
    '--target=wasm32-wasip1',
    '-O2',
    '-I.',
    '-Wl,--strip-all',
    ...entryArgs,
    '-o',
    'out.wasm',
    ...sources.map((s) => relative(dir, s)),
  ];
  let files;
  try {
    // Load its resources first, quietly: the compile's own first step (`-###`) loads them
    // without the option and prints its progress on stdout.
    await clang(undefined, {}, { fetchProgress: () => {} });
    files = await clang(args, await sourceTree(dir), {
      stdout: collect,
      stderr: collect,
      fetchProgress: () => {},
    });
  } catch (error) {
    throw new BuildFailedError(`C build in ${dir} failed:\n${output.trim() || (error as Error).message}`);
  }
  const code = files?.['out.wasm'];
  if (!(code instanceof Uint8Array))
    throw new BuildFailedError(`C build in ${dir} produced no module:\n${output}`);
  await writeFile(resolve(outFile), code);
  return NPM_TOOLCHAIN;
}

/**
 * Compiles C to a WASI module. Sources with a `main` become a WASI command (JSON on stdin/stdout);
 * otherwise the module has no entry point and exports `__invoke` (the FunLess ABI, as `funless.h`
 * defines it). With Debian's clang, lld and wasi-libc (`--target=wasm32-wasi`) when they are
 * installed; else with the npm toolchain `@yowasp/clang` (an optional dependency of the CLI), so a
 * machine with only Node.js builds C too. `CC_WASM` names the compiler to use and turns the
 * fallback off. Returns which toolchain built it.
 */
export async function buildC(source: string, outFile: string, env: NodeJS.ProcessEnv): Promise<string> {
  const isFile = source.endsWith('.c');
  const dir = isFile ? resolve(source, '..') : resolve(source);
  const sources = isFile ? [resolve(source)] : await listSources(dir);
  if (sources.length === 0) throw new CliError(`no .c files in ${dir} (or ${join(dir, 'src')})`);
  const texts = await Promise.all(sources.map((s) => readFile(s, 'utf8')));
  const isCommand = texts.some((t) => /\bint\s+main\s*\(/.test(t));
  const entryArgs = isCommand ? [] : ['-nostartfiles', '-Wl,--no-entry', '-Wl,--export-if-defined=__invoke'];
  // Loaded only when Debian's toolchain is not there: the npm one is the fallback.
  const npmClang = (): Promise<NpmClang | undefined> =>
    env.CC_WASM ? Promise.resolve(undefined) : loadNpmClang();
  const orNpm = env.CC_WASM ? '' : ', or `npm install @yowasp/clang`';

  const cc = env.CC_WASM || 'clang';
  const clangMissing = () => new ToolchainMissingError(`clang is not installed: run \`${INSTALL}\`${orNpm}`);
  let sysroot: string;
  try {
    sysroot = await findSysroot(env);
  } catch (error) {
    const npm = await npmClang();
    if (npm) return buildWithNpmClang(npm, dir, sources, entryArgs, outFile);
    // Name the first piece missing: the compiler, then its library.
    if (!(await runTool(cc, ['--version'], dir, env))) throw clangMissing();
    throw new ToolchainMissingError(`${(error as Error).message}${orNpm}`, { cause: error });
  }
  const args = [
    '--target=wasm32-wasi',
    `--sysroot=${sysroot}`,
    '-O2',
    `-I${dir}`,
    '-Wl,--strip-all',
    ...entryArgs,
    '-o',
    resolve(outFile),
    ...sources,
  ];
  const result = await runTool(cc, args, dir, env);
  if (!result) {
    const npm = await npmClang();
    if (npm) return buildWithNpmClang(npm, dir, sources, entryArgs, outFile);
    throw clangMissing();
  }
  if (result.code !== 0) {
    const output = (result.stderr + result.stdout).trim();
    let missing: string | undefined;
    if (
      /wasm-ld.*(not found|No such file)|unable to execute command.*wasm-ld|invalid linker name/i.test(output)
    ) {
      missing = 'the wasm-ld linker is not installed: run `apt-get install lld`';
    } else if (/libclang_rt\.builtins-wasm32\.a/.test(output)) {
      missing = 'the wasm32 compiler runtime is missing: run `apt-get install libclang-rt-14-dev-wasm32`';
    }
    if (missing === undefined) throw new BuildFailedError(`C build in ${dir} failed:\n${output}`);
    // Debian's toolchain is only partly installed: the npm one is complete.
    const npm = await npmClang();
    if (npm) return buildWithNpmClang(npm, dir, sources, entryArgs, outFile);
    throw new ToolchainMissingError(`${missing}${orNpm}`);
  }
  return `${cc}, wasm32-wasi, sysroot ${sysroot}`;
}
