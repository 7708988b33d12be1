import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

import type { Command } from '@yowasp/clang';

import { BuildFailedError, ToolchainMissingError } from '../errors/index.js';
import { exists } from './path-exists.js';
import { runTool } from './run-tool.js';

const INSTALL = 'apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32';

/** One run of clang for wasm32-wasi: a compile (`-c`) or a link. */
export interface WasmClangJob {
  /** The folder clang runs in: `inputs`, `output` and paths in `args` are relative to it. */
  dir: string;
  /**
   * Every file the run reads: sources, headers, objects. Debian's clang reads them from `dir`
   * itself; the npm one gets an in-memory copy of exactly these files.
   */
  inputs: readonly string[];
  /** What to compile or link, and how: the files to pass, flags (no target, sysroot or `-o`). */
  args: readonly string[];
  /** The file clang writes (relative to `dir`, or absolute). */
  output: string;
  /** Names the run in messages, e.g. `C build in /src/hello`. */
  what: string;
  /** For `CC_WASM`, `WASI_SYSROOT` and clang's own environment. */
  env: NodeJS.ProcessEnv;
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

/** The npm toolchain (clang, lld and wasi-libc compiled to WebAssembly), if it is installed. */
async function loadNpmClang(): Promise<Command | undefined> {
  try {
    return (await import('@yowasp/clang')).commands.clang;
  } catch {
    return undefined;
  }
}

/** How a run with the npm toolchain is reported. */
const NPM_TOOLCHAIN = 'npm @yowasp/clang, wasm32-wasip1';

/** The npm clang's output, in its in-memory tree (the job's `output` may be outside `dir`). */
const NPM_OUTPUT = 'fl-out';

type Tree = { [name: string]: Tree | Uint8Array };

/** The job's input files as the in-memory tree the npm clang reads. */
async function inputTree(job: WasmClangJob): Promise<Tree> {
  const tree: Tree = {};
  for (const input of job.inputs) {
    const parts = input.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
    let node = tree;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Tree;
    node[parts.at(-1)!] = new Uint8Array(await readFile(join(job.dir, input)));
  }
  return tree;
}

/**
 * Runs the npm toolchain in this process, on an in-memory copy of the inputs. Its newer clang
 * names the target wasm32-wasip1 (the same ABI as Debian's wasm32-wasi).
 */
async function runNpmClang(clang: Command, job: WasmClangJob): Promise<string> {
  const decoder = new TextDecoder();
  let output = '';
  const collect = (bytes: Uint8Array | null) => {
    if (bytes) output += decoder.decode(bytes, { stream: true });
  };
  let files;
  try {
    // Load its resources first, quietly: the compile's own first step (`-###`) loads them
    // without the option and prints its progress on stdout.
    await clang(undefined, {}, { fetchProgress: () => {} });
    files = await clang(['--target=wasm32-wasip1', ...job.args, '-o', NPM_OUTPUT], await inputTree(job), {
      stdout: collect,
      stderr: collect,
      fetchProgress: () => {},
    });
  } catch (error) {
    throw new BuildFailedError(`${job.what} failed:\n${output.trim() || (error as Error).message}`);
  }
  const code = files?.[NPM_OUTPUT];
  if (!(code instanceof Uint8Array)) throw new BuildFailedError(`${job.what} produced no output:\n${output}`);
  await writeFile(resolve(job.dir, job.output), code);
  return NPM_TOOLCHAIN;
}

/**
 * Which toolchain `runWasmClang` would use, for cache keys: the clang's `--version` line and the
 * sysroot, or the npm toolchain's name and version.
 */
export async function describeWasmClang(env: NodeJS.ProcessEnv): Promise<string> {
  const cc = env.CC_WASM || 'clang';
  const sysroot = await findSysroot(env).catch(() => undefined);
  const version = sysroot ? await runTool(cc, ['--version'], process.cwd(), env) : undefined;
  if (version && version.code === 0) return `${cc} ${version.stdout.split('\n')[0]} sysroot ${sysroot}`;
  if (!env.CC_WASM && (await loadNpmClang())) {
    // Its package.json is not exported: it is two folders above the entry (gen/bundle.js).
    const entry = createRequire(import.meta.url).resolve('@yowasp/clang');
    const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    return `@yowasp/clang ${manifest.version}`;
  }
  return `${cc} (not installed)`;
}

/**
 * Runs clang for wasm32-wasi: Debian's clang, lld and wasi-libc (`--target=wasm32-wasi`) when
 * they are installed; else the npm toolchain `@yowasp/clang` (an optional dependency of the CLI),
 * so a machine with only Node.js builds too. `CC_WASM` names the compiler to use and turns the
 * fallback off. A missing toolchain is a `ToolchainMissingError` naming what to install. Returns
 * which toolchain ran.
 */
export async function runWasmClang(job: WasmClangJob): Promise<string> {
  const { env, dir } = job;
  // Loaded only when Debian's toolchain is not there: the npm one is the fallback.
  const npmClang = (): Promise<Command | undefined> =>
    env.CC_WASM ? Promise.resolve(undefined) : loadNpmClang();
  const orNpm = env.CC_WASM ? '' : ', or `npm install @yowasp/clang`';

  const cc = env.CC_WASM || 'clang';
  const clangMissing = () => new ToolchainMissingError(`clang is not installed: run \`${INSTALL}\`${orNpm}`);
  let sysroot: string;
  try {
    sysroot = await findSysroot(env);
  } catch (error) {
    const npm = await npmClang();
    if (npm) return runNpmClang(npm, job);
    // Name the first piece missing: the compiler, then its library.
    if (!(await runTool(cc, ['--version'], dir, env))) throw clangMissing();
    throw new ToolchainMissingError(`${(error as Error).message}${orNpm}`, { cause: error });
  }
  const args = ['--target=wasm32-wasi', `--sysroot=${sysroot}`, ...job.args, '-o', job.output];
  const result = await runTool(cc, args, dir, env);
  if (!result) {
    const npm = await npmClang();
    if (npm) return runNpmClang(npm, job);
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
    if (missing === undefined) throw new BuildFailedError(`${job.what} failed:\n${output}`);
    // Debian's toolchain is only partly installed: the npm one is complete.
    const npm = await npmClang();
    if (npm) return runNpmClang(npm, job);
    throw new ToolchainMissingError(`${missing}${orNpm}`);
  }
  return `${cc}, wasm32-wasi, sysroot ${sysroot}`;
}
