import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';

import { INVOKE_EXPORT, START_EXPORT } from '@funless/protocol';

import { BuildFailedError } from '../errors/index.js';
import { buildAssemblyScript } from './assemblyscript.js';
import { buildC } from './c.js';
import { buildJavaScript } from './javascript/index.js';
import { detectLanguage, type Language } from './language.js';
import { buildRust } from './rust.js';
import { buildWat } from './wat.js';

/** What `fl fn build` takes. */
export interface BuildOptions {
  /** A project directory or a single source file. */
  source: string;
  /** Detected from `source` when absent. */
  language?: Language;
  /** @default `<dir>/build/<dir name>.wasm` (for a file: `build/<file stem>.wasm` beside it) */
  outFile?: string;
  /** Environment for the toolchains (WASI_SYSROOT, CC_WASM, PATH). @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Colours in compiler diagnostics. @default false */
  colors?: boolean;
  /** JavaScript/TypeScript: run `tsc --noEmit` when the project has a tsconfig.json. @default true */
  typecheck?: boolean;
  /** Told when a toolchain part is built first (the JavaScript engine, once, then cached). */
  onNotice?: (message: string) => void;
}

export interface BuildResult {
  language: Language;
  outFile: string;
  /** The module's bytes. */
  code: Uint8Array;
  /** Which function shape the module has. */
  shape: 'funless' | 'wasi-command';
  /** The compiler used, for languages with several (C: Debian's clang or npm's; Rust: which rustc, its version and target). */
  toolchain?: string;
}

/** The default output file of a build. */
export function defaultOutFile(source: string, isFile: boolean): string {
  const abs = resolve(source);
  if (isFile) return join(dirname(abs), 'build', `${basename(abs, extname(abs))}.wasm`);
  return join(abs, 'build', `${basename(abs)}.wasm`);
}

/**
 * Compiles a function project into a Wasm module and checks it has one of the two function shapes
 * (exports `__invoke` and `memory`, or `_start`), so a mistake shows up here, not at upload.
 */
export async function buildFunction(options: BuildOptions): Promise<BuildResult> {
  const source = resolve(options.source);
  const language = options.language ?? (await detectLanguage(source));
  const isFile = extname(source) !== '' && !(await isDir(source));
  const outFile = resolve(options.outFile ?? defaultOutFile(source, isFile));
  await mkdir(dirname(outFile), { recursive: true });
  const env = options.env ?? process.env;
  let toolchain: string | undefined;
  switch (language) {
    case 'js':
    case 'ts':
      toolchain = await buildJavaScript(source, outFile, {
        env,
        typecheck: options.typecheck,
        onEngineBuild: (dir) =>
          options.onNotice?.(`building the JavaScript engine (QuickJS, once; cached in ${dir})`),
      });
      break;
    case 'as':
      await buildAssemblyScript(source, outFile, options.colors ?? false);
      break;
    case 'c':
      toolchain = await buildC(source, outFile, env);
      break;
    case 'wat':
      await buildWat(source, outFile);
      break;
    case 'rust':
      toolchain = await buildRust(source, outFile, env);
      break;
  }
  const code = new Uint8Array(await readFile(outFile));
  return { language, outFile, code, shape: checkShape(code, outFile, language), toolchain };
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

const HINTS: Record<Language, string> = {
  js: 'export the function as default or as main',
  ts: 'export the function as default or as main',
  as: 'export `function __invoke(len: i32): i32 { return run(len, handle); }` from assembly/index.ts',
  c: 'include funless.h and define fl_handle(), or write a main() reading stdin',
  wat: 'export a function "__invoke" (param i32) (result i32) and the memory as "memory"',
  rust: 'call `funless::function!(handler)` in a cdylib crate, or build a binary crate (main) for the WASI-command shape',
};

/** Tells the function shape of a module, or fails naming what is missing. */
export function checkShape(code: Uint8Array, file: string, language: Language): 'funless' | 'wasi-command' {
  let exports: string[];
  try {
    exports = WebAssembly.Module.exports(new WebAssembly.Module(code)).map((e) => e.name);
  } catch (error) {
    throw new BuildFailedError(`${file} is not a valid WebAssembly module: ${(error as Error).message}`);
  }
  if (exports.includes(INVOKE_EXPORT)) {
    if (!exports.includes('memory')) {
      throw new BuildFailedError(`${file} exports ${INVOKE_EXPORT} but not its memory as "memory"`);
    }
    return 'funless';
  }
  if (exports.includes(START_EXPORT)) return 'wasi-command';
  throw new BuildFailedError(
    `${file} exports neither ${INVOKE_EXPORT} nor ${START_EXPORT}, so it is not a function: ${HINTS[language]}`,
  );
}
