import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';

import { BuildFailedError, CliError } from '../../errors/index.js';
import { exists } from '../path-exists.js';
import { runTool } from '../run-tool.js';
import { runWasmClang } from '../wasm-clang.js';
import { bundleJavaScript } from './bundle-javascript.js';
import { cArray } from './c-array.js';
import { findJsEntry, JS_EXTENSIONS } from './js-entry.js';
import { preinitialise } from './preinitialise.js';
import { jsEngine, STACK_BYTES } from './quickjs-engine.js';

export interface JsBuildOptions {
  env: NodeJS.ProcessEnv;
  /** Run `tsc --noEmit` when the project has a tsconfig.json. @default true */
  typecheck?: boolean;
  /** Told when the engine is built (once, then cached), which takes a while. */
  onEngineBuild?: (dir: string) => void;
}

/** Linker flags of a function module: a reactor (no entry point), the stack first in memory. */
const LINK_FLAGS = [
  '-O2',
  '-nostartfiles',
  '-Wl,--no-entry',
  '-Wl,--stack-first',
  `-Wl,-z,stack-size=${STACK_BYTES}`,
  '-Wl,--strip-all',
];

/** The TypeScript compiler: the project's own, else the one installed with the CLI. */
function resolveTsc(dir: string): string {
  for (const from of [join(dir, 'package.json'), import.meta.url]) {
    try {
      return createRequire(from).resolve('typescript/bin/tsc');
    } catch {
      // not installed there
    }
  }
  throw new CliError('TypeScript is not installed: run `npm install typescript`, or pass --no-typecheck');
}

/** `tsc --noEmit` over the project, so type errors fail the build (esbuild only strips types). */
async function typecheck(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const tsc = resolveTsc(dir);
  const result = await runTool(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', dir], dir, env);
  if (!result) throw new CliError(`cannot run ${process.execPath}`);
  if (result.code !== 0) {
    const output = (result.stdout + result.stderr).trim();
    throw new BuildFailedError(
      `type errors in ${dir} (tsc --noEmit; pass --no-typecheck to build anyway):\n${output}`,
    );
  }
}

/**
 * The environment of the link. clang post-optimises a linked module with any `wasm-opt` on PATH,
 * and npx and npm scripts put npm's binaryen there (node_modules/.bin): on the 0.9 MB engine that
 * takes tens of seconds and makes the module depend on how `fl` was started. Those folders are
 * left out.
 */
function linkEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.endsWith(join('node_modules', '.bin')))
    .join(delimiter);
  return { ...env, PATH: path };
}

/**
 * Builds a JavaScript or TypeScript function (a project directory or one file): type-checks it
 * when it has a tsconfig.json, bundles it with its npm dependencies, and links the bundle with the
 * JavaScript engine (built once and cached, see `jsEngine`) into one FunLess-ABI module. Returns
 * the engine's version and the toolchain that linked it.
 */
export async function buildJavaScript(
  source: string,
  outFile: string,
  options: JsBuildOptions,
): Promise<string> {
  const isFile = JS_EXTENSIONS.some((e) => source.toLowerCase().endsWith(e));
  const dir = isFile ? dirname(resolve(source)) : resolve(source);
  const entry = isFile ? resolve(source) : await findJsEntry(dir);
  if (!entry) {
    throw new CliError(
      `no entry module in ${dir}: expected package.json "main", index.ts, index.js or src/index.ts`,
    );
  }
  if ((options.typecheck ?? true) && (await exists(join(dir, 'tsconfig.json'))))
    await typecheck(dir, options.env);
  const bundle = await bundleJavaScript(entry, dir);
  const engine = await jsEngine(options.env, options.onEngineBuild);

  const work = await mkdtemp(join(tmpdir(), 'fl-js-'));
  try {
    const name = relative(dir, entry) || basename(entry);
    await writeFile(
      join(work, 'bundle.c'),
      `${cArray('fl_bundle', bundle)}const char fl_bundle_name[] = ${JSON.stringify(name)};\n`,
    );
    for (const object of engine.objects) await copyFile(join(engine.dir, object), join(work, object));
    const toolchain = await runWasmClang({
      dir: work,
      inputs: ['bundle.c', ...engine.objects],
      args: [...LINK_FLAGS, 'bundle.c', ...engine.objects],
      output: 'linked.wasm',
      what: `linking ${name} with the JavaScript engine`,
      env: linkEnv(options.env),
    });
    await writeFile(
      resolve(outFile),
      preinitialise(new Uint8Array(await readFile(join(work, 'linked.wasm')))),
    );
    return `QuickJS ${engine.version}, linked by ${toolchain}`;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new BuildFailedError(`JavaScript build in ${dir} failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
