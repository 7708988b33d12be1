import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cachedBuild, declaredFlags, readFixtureSource } from './fixture-cache.js';

/** The part of the `asc` API used here. */
interface Asc {
  main(
    argv: string[],
    options: { stderr: { write(s: string | Uint8Array): void } },
  ): Promise<{ error: Error | null }>;
}

/**
 * Flags every AssemblyScript fixture is built with: the stub runtime (no GC: a fixture lives for
 * one invocation) and `abort` turned into a trap, so fixtures import only `fl_imps` and WASI.
 */
export const ASC_FLAGS = ['-O3', '--runtime', 'stub', '--use', 'abort='];

/** Compiles AssemblyScript source with the npm `assemblyscript` compiler (cached by source). */
export async function assemblyScript(
  source: string,
  name = 'inline',
  flags: string[] = [],
): Promise<Uint8Array> {
  const args = [...ASC_FLAGS, ...flags];
  return cachedBuild(`as-${name}`, ['asc', ...args, source].join('\0'), async () => {
    // Loaded by a computed name: resolving its types drags binaryen's huge JS into type-aware lint.
    const ascModule = 'assemblyscript/asc';
    const { default: asc } = (await import(ascModule)) as { default: Asc };
    const dir = await mkdtemp(join(tmpdir(), 'fl-asc-'));
    try {
      await writeFile(join(dir, 'index.ts'), source);
      const stderr: string[] = [];
      const { error } = await asc.main([join(dir, 'index.ts'), '--outFile', join(dir, 'out.wasm'), ...args], {
        stderr: { write: (s: string | Uint8Array) => void stderr.push(String(s)) },
      });
      if (error) throw new Error(`asc failed for ${name}: ${error.message}\n${stderr.join('')}`);
      return new Uint8Array(await readFile(join(dir, 'out.wasm')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** Compiles `fixtures/as/<name>.as` (AssemblyScript; not `.ts` so that TypeScript tools leave it alone) (flags from a `// asc-flags:` line). */
export async function asFixture(name: string): Promise<Uint8Array> {
  const source = await readFixtureSource('as', `${name}.as`);
  return assemblyScript(source, name, declaredFlags(source, 'asc'));
}
