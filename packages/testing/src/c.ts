import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

import { cachedBuild, declaredFlags, readFixtureSource } from './fixture-cache.js';

const run = promisify(execFile);

/** Flags every C fixture is built with: Debian clang, wasi-libc as the sysroot. */
export const CLANG_FLAGS = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2'];

/**
 * The flags with the npm toolchain (`@yowasp/clang`: clang and lld compiled to WebAssembly, with
 * its own wasi-libc), used where Debian's is not installed. Its newer clang names the target
 * wasm32-wasip1, the same ABI.
 */
export const NPM_CLANG_FLAGS = ['--target=wasm32-wasip1', '-O2'];

/** Debian's toolchain is complete when clang, wasm-ld and wasi-libc's headers are all there. */
async function debianClang(): Promise<boolean> {
  if (!existsSync('/usr/include/wasm32-wasi/stdlib.h')) return false;
  try {
    await run('clang', ['--version']);
    await run('wasm-ld', ['--version']);
    return true;
  } catch {
    return false;
  }
}

let toolchain: Promise<'debian' | 'npm'> | undefined;

/**
 * Which C toolchain builds the fixtures: Debian's when installed (CI installs it, and it is the
 * faster), else the npm one, so the suite runs on a machine with only Node.js and npm.
 * `FL_TEST_C_TOOLCHAIN=npm` forces the npm one (to try it where both are installed).
 */
export function cToolchain(): Promise<'debian' | 'npm'> {
  if (process.env.FL_TEST_C_TOOLCHAIN === 'npm') return Promise.resolve('npm');
  return (toolchain ??= debianClang().then((found) => (found ? 'debian' : 'npm')));
}

/**
 * The environment clang runs in. clang post-optimises its output with any `wasm-opt` it finds on
 * PATH, and `npm test` puts binaryen's (an AssemblyScript dependency) there through
 * node_modules/.bin: a fixture would then differ with how the tests were started. Those folders
 * are left out, so a fixture is the same build either way.
 */
function clangEnv(): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.endsWith(join('node_modules', '.bin')))
    .join(delimiter);
  return { ...process.env, PATH: path };
}

async function buildWithDebianClang(source: string, name: string, args: string[]): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'fl-clang-'));
  try {
    await writeFile(join(dir, `${name}.c`), source);
    try {
      await run('clang', [...args, '-o', join(dir, 'out.wasm'), join(dir, `${name}.c`)], { env: clangEnv() });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`clang failed for ${name}: ${e.stderr ?? e.message}`);
    }
    return new Uint8Array(await readFile(join(dir, 'out.wasm')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function buildWithNpmClang(source: string, name: string, args: string[]): Promise<Uint8Array> {
  const { commands } = await import('@yowasp/clang');
  const decoder = new TextDecoder();
  let output = '';
  const collect = (bytes: Uint8Array | null) => {
    if (bytes) output += decoder.decode(bytes, { stream: true });
  };
  let files;
  try {
    files = await commands.clang(
      [...args, '-o', 'out.wasm', `${name}.c`],
      { [`${name}.c`]: source },
      {
        stdout: collect,
        stderr: collect,
        fetchProgress: () => {},
      },
    );
  } catch (err) {
    throw new Error(`clang failed for ${name}: ${output || (err as Error).message}`);
  }
  const out = files?.['out.wasm'];
  if (!(out instanceof Uint8Array)) throw new Error(`clang failed for ${name}: no output\n${output}`);
  return out;
}

/** Compiles C source to a WASI module with clang (cached by toolchain, source and flags). */
export async function c(source: string, name = 'inline', flags: string[] = []): Promise<Uint8Array> {
  const which = await cToolchain();
  const args = [...(which === 'debian' ? CLANG_FLAGS : NPM_CLANG_FLAGS), ...flags];
  return cachedBuild(`c-${name}`, [which, 'clang', ...args, source].join('\0'), () =>
    which === 'debian' ? buildWithDebianClang(source, name, args) : buildWithNpmClang(source, name, args),
  );
}

/** Compiles `fixtures/c/<name>.c` (extra flags from a `// clang-flags:` line). */
export async function cFixture(name: string): Promise<Uint8Array> {
  const source = await readFixtureSource('c', `${name}.c`);
  return c(source, name, declaredFlags(source, 'clang'));
}
