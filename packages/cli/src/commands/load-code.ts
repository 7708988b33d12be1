import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

import { buildFunction, type Language } from '../build/index.js';
import { CliError } from '../errors/index.js';
import type { CommandContext } from './context.js';

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * The code to upload: a `.wasm` file as it is, anything else (a project directory or a source
 * file) built first, with a spinner on a terminal.
 */
export async function loadCode(
  ctx: CommandContext,
  path: string,
  language?: Language,
  typecheck = true,
): Promise<{ code: Uint8Array; fileName: string }> {
  path = resolve(ctx.io.cwd, path);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new CliError(`${path} does not exist`);
  }
  if (info.isFile() && path.endsWith('.wasm')) {
    const code = new Uint8Array(await readFile(path));
    if (code.length < 8 || WASM_MAGIC.some((byte, i) => code[i] !== byte)) {
      throw new CliError(`${path} is not a WebAssembly binary (no \\0asm header)`);
    }
    return { code, fileName: basename(path) };
  }
  const progress = ctx.progress();
  const built = await progress.run(
    `building ${path}`,
    () =>
      buildFunction({
        source: path,
        language,
        env: ctx.io.env,
        colors: progress.enabled,
        typecheck,
        onNotice: (message) => ctx.err(message),
      }),
    (r) => `built ${r.outFile} (${r.code.length} bytes)`,
  );
  return { code: built.code, fileName: basename(built.outFile) };
}
