import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Built fixtures, keyed by a hash of everything that goes into the build. */
const cacheDir = fileURLToPath(new URL('../fixture-cache/', import.meta.url));
export const fixturesDir = new URL('../../fixtures/', import.meta.url);

/**
 * Returns the cached output for `key` or builds it once. Several test processes may build the same
 * fixture at once: each writes a temporary file and renames it, so readers never see half a file.
 */
export async function cachedBuild(
  name: string,
  key: string,
  build: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 24);
  const path = `${cacheDir}${name}-${digest}.wasm`;
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    // not built yet
  }
  const bytes = await build();
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return bytes;
}

/** Reads `fixtures/<kind>/<file>` as text. */
export function readFixtureSource(kind: string, file: string): Promise<string> {
  return readFile(new URL(`${kind}/${file}`, fixturesDir), 'utf8');
}

/** Extra build flags a fixture declares on a line like `// clang-flags: -O1`. */
export function declaredFlags(source: string, tool: string): string[] {
  const match = new RegExp(`^//\\s*${tool}-flags:(.*)$`, 'm').exec(source);
  return match ? match[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
