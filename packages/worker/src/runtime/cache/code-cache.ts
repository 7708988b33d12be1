import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { makePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '@funless/protocol';

import type { FunctionRef } from '../types.js';

const HASH_FILE = /^([0-9a-f]{64})\.wasm$/;

/**
 * Function binaries on disk: `<dir>/<module>/<name>/<hash>.wasm`. Module and function names match
 * `^[_a-zA-Z0-9]+$`, so each is one path segment of its own and no two (module, name, hash) can
 * share a file (FunLess joined them with `_`, so `a_b`+`c` and `a`+`b_c` collided). Files are
 * written to a temporary name and renamed, so a crash never leaves a half-written binary under a
 * real name; a function keeps one file, the latest hash stored.
 */
export class CodeCache {
  /** `module/name` → hash of the binary on disk. */
  private readonly index = new Map<string, string>();

  private constructor(private readonly dir: string) {}

  /** Opens (creating it if needed) the cache under `dir` and indexes what a previous run left. */
  static async open(dir: string): Promise<CodeCache> {
    const cache = new CodeCache(dir);
    // Owner only, an existing directory too: the binaries are the users' code.
    await makePrivateDir(dir);
    for (const module of await readdir(dir, { withFileTypes: true })) {
      if (!module.isDirectory()) continue;
      for (const fn of await readdir(join(dir, module.name), { withFileTypes: true })) {
        if (!fn.isDirectory()) continue;
        const folder = join(dir, module.name, fn.name);
        for (const file of await readdir(folder)) {
          const match = HASH_FILE.exec(file);
          if (match) cache.index.set(`${module.name}/${fn.name}`, match[1]!);
          // Leftovers of an interrupted write.
          else if (file.endsWith('.tmp')) await rm(join(folder, file), { force: true });
        }
      }
    }
    return cache;
  }

  has(ref: FunctionRef): boolean {
    return this.index.get(`${ref.module}/${ref.name}`) === ref.hash;
  }

  /** Every function held, with its hash. */
  list(): FunctionRef[] {
    return [...this.index].map(([key, hash]) => {
      const [module, name] = key.split('/') as [string, string];
      return { module, name, hash };
    });
  }

  /** True when some function still uses the code with this hash. */
  usesHash(hash: string): boolean {
    for (const h of this.index.values()) if (h === hash) return true;
    return false;
  }

  private folder(ref: FunctionRef): string {
    return join(this.dir, ref.module, ref.name);
  }

  async read(ref: FunctionRef): Promise<Uint8Array | undefined> {
    if (!this.has(ref)) return undefined;
    try {
      return new Uint8Array(await readFile(join(this.folder(ref), `${ref.hash}.wasm`)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.index.delete(`${ref.module}/${ref.name}`);
        return undefined;
      }
      throw err;
    }
  }

  /**
   * Writes the binary atomically and replaces the function's previous version; resolves with the
   * hash of the version it replaced, if any.
   */
  async write(ref: FunctionRef, code: Uint8Array): Promise<string | undefined> {
    const folder = this.folder(ref);
    await mkdir(folder, { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = join(folder, `${ref.hash}.${randomBytes(6).toString('hex')}.tmp`);
    await writeFile(tmp, code, { mode: PRIVATE_FILE_MODE });
    await rename(tmp, join(folder, `${ref.hash}.wasm`));
    const key = `${ref.module}/${ref.name}`;
    const previous = this.index.get(key);
    this.index.set(key, ref.hash);
    if (previous === undefined || previous === ref.hash) return undefined;
    await rm(join(folder, `${previous}.wasm`), { force: true });
    return previous;
  }

  /** Removes the function's binary if, and only if, it is the version `ref.hash`. */
  async drop(ref: FunctionRef): Promise<boolean> {
    if (!this.has(ref)) return false;
    this.index.delete(`${ref.module}/${ref.name}`);
    await rm(join(this.folder(ref), `${ref.hash}.wasm`), { force: true });
    return true;
  }
}
