import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { cachedBuild, declaredFlags, readFixtureSource } from './fixture-cache.js';

const run = promisify(execFile);

/** Flags every C fixture is built with: Debian clang, wasi-libc as the sysroot. */
export const CLANG_FLAGS = ['--target=wasm32-wasi', '--sysroot=/usr', '-O2'];

/** Compiles C source to a WASI module with `clang` (cached by source and flags). */
export async function c(source: string, name = 'inline', flags: string[] = []): Promise<Uint8Array> {
  const args = [...CLANG_FLAGS, ...flags];
  return cachedBuild(`c-${name}`, ['clang', ...args, source].join('\0'), async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fl-clang-'));
    try {
      await writeFile(join(dir, `${name}.c`), source);
      try {
        await run('clang', [...args, '-o', join(dir, 'out.wasm'), join(dir, `${name}.c`)]);
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`clang failed for ${name}: ${e.stderr ?? e.message}`);
      }
      return new Uint8Array(await readFile(join(dir, 'out.wasm')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Compiles `fixtures/c/<name>.c` (extra flags from a `// clang-flags:` line). */
export async function cFixture(name: string): Promise<Uint8Array> {
  const source = await readFixtureSource('c', `${name}.c`);
  return c(source, name, declaredFlags(source, 'clang'));
}
