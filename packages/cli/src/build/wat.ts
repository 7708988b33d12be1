import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { BuildFailedError, CliError, ToolchainMissingError } from '../errors/index.js';

interface WabtModule {
  resolveNames(): void;
  validate(): void;
  toBinary(options: object): { buffer: Uint8Array };
  destroy(): void;
}
type WabtApi = { parseWat(filename: string, source: string, features?: Record<string, boolean>): WabtModule };

async function loadWabt(): Promise<WabtApi> {
  const specifier = 'wabt';
  let init: () => Promise<WabtApi>;
  try {
    init = ((await import(specifier)) as { default: () => Promise<WabtApi> }).default;
  } catch (error) {
    throw new ToolchainMissingError('wabt is not installed: run `npm install --save-dev wabt`', {
      cause: error,
    });
  }
  return init();
}

/** Finds the one `.wat` file of a directory (or takes the file given). */
async function findWat(source: string): Promise<string> {
  if ((await stat(source)).isFile()) return source;
  const wats = (await readdir(source)).filter((e) => e.endsWith('.wat')).sort();
  if (wats.length === 0) throw new CliError(`no .wat file in ${source}`);
  if (wats.length > 1) {
    throw new CliError(`${source} holds several .wat files (${wats.join(', ')}): pass the one to build`);
  }
  return join(source, wats[0]!);
}

/** Assembles WebAssembly text with npm wabt (post-MVP features that V8 supports enabled). */
export async function buildWat(source: string, outFile: string): Promise<void> {
  const file = await findWat(source);
  const text = await readFile(file, 'utf8');
  const wabt = await loadWabt();
  let module: WabtModule | undefined;
  try {
    module = wabt.parseWat(file, text, {
      bulk_memory: true,
      mutable_globals: true,
      sign_extension: true,
      sat_float_to_int: true,
      multi_value: true,
    });
    module.resolveNames();
    module.validate();
    await writeFile(outFile, module.toBinary({}).buffer);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new BuildFailedError(`WAT build of ${file} failed:\n${(error as Error).message.trim()}`, {
      cause: error,
    });
  } finally {
    module?.destroy();
  }
}
