import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

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

async function listSources(dir: string): Promise<string[]> {
  const sources: string[] = [];
  for (const sub of ['.', 'src']) {
    let entries: string[];
    try {
      entries = await readdir(join(dir, sub));
    } catch {
      continue;
    }
    for (const e of entries.sort()) if (e.endsWith('.c')) sources.push(join(dir, sub, e));
  }
  return sources;
}

/**
 * Compiles C with Debian's clang, lld and wasi-libc (`--target=wasm32-wasi`). Sources with a
 * `main` become a WASI command (JSON on stdin/stdout); otherwise the module has no entry point
 * and exports `__invoke` (the FunLess ABI, as `funless.h` defines it).
 */
export async function buildC(source: string, outFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  const isFile = source.endsWith('.c');
  const dir = isFile ? resolve(source, '..') : resolve(source);
  const sources = isFile ? [resolve(source)] : await listSources(dir);
  if (sources.length === 0) throw new CliError(`no .c files in ${dir} (or ${join(dir, 'src')})`);
  const texts = await Promise.all(sources.map((s) => readFile(s, 'utf8')));
  const isCommand = texts.some((t) => /\bint\s+main\s*\(/.test(t));
  const sysroot = await findSysroot(env);
  const args = [
    '--target=wasm32-wasi',
    `--sysroot=${sysroot}`,
    '-O2',
    `-I${dir}`,
    '-Wl,--strip-all',
    ...(isCommand ? [] : ['-nostartfiles', '-Wl,--no-entry', '-Wl,--export-if-defined=__invoke']),
    '-o',
    resolve(outFile),
    ...sources,
  ];
  const result = await runTool(env.CC_WASM || 'clang', args, dir);
  if (!result) throw new ToolchainMissingError(`clang is not installed: run \`${INSTALL}\``);
  if (result.code !== 0) {
    const output = (result.stderr + result.stdout).trim();
    if (
      /wasm-ld.*(not found|No such file)|unable to execute command.*wasm-ld|invalid linker name/i.test(output)
    ) {
      throw new ToolchainMissingError(`the wasm-ld linker is not installed: run \`apt-get install lld\``);
    }
    if (/libclang_rt\.builtins-wasm32\.a/.test(output)) {
      throw new ToolchainMissingError(
        'the wasm32 compiler runtime is missing: run `apt-get install libclang-rt-14-dev-wasm32`',
      );
    }
    throw new BuildFailedError(`C build in ${dir} failed:\n${output}`);
  }
}
