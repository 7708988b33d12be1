import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BuildFailedError } from '../../errors/index.js';
import { describeWasmClang, runWasmClang } from '../wasm-clang.js';
import { cArray } from './c-array.js';

/** packages/cli/js-engine: the FunLess glue (engine.c) and the runtime API (prelude.js). */
const GLUE_DIR = fileURLToPath(new URL('../../../../js-engine/', import.meta.url));

/** The QuickJS sources compiled into the engine (quickjs-libc, the std/os modules, is not). */
const QUICKJS_SOURCES = ['quickjs.c', 'libregexp.c', 'libunicode.c', 'cutils.c', 'libbf.c'] as const;

/**
 * Changes QuickJS needs to compile for wasm32-wasi, applied to the copy that is compiled (the
 * package's files stay as they are). Each `find` must occur, so a QuickJS that no longer needs a
 * patch, or needs another, fails the engine build loudly instead of compiling something else.
 */
const PATCHES: readonly { file: string; why: string; find: string; replace: string }[] = [
  {
    file: 'quickjs.c',
    why: 'Atomics need OS threads (pthread.h), which WASI preview1 does not have',
    find: '#if !defined(EMSCRIPTEN)\n#define CONFIG_ATOMICS',
    replace: '#if !defined(EMSCRIPTEN) && !defined(__wasi__)\n#define CONFIG_ATOMICS',
  },
  {
    file: 'quickjs.c',
    why: "malloc_usable_size (for the GC accounting) is declared in wasi-libc's <malloc.h>",
    find: '#elif defined(__linux__)\n#include <malloc.h>',
    replace: '#elif defined(__linux__) || defined(__wasi__)\n#include <malloc.h>',
  },
  {
    file: 'quickjs.c',
    why:
      'wasi-libc has only the round-to-nearest mode: fesetround(FE_DOWNWARD/FE_UPWARD) fails and ' +
      'changes nothing, so toFixed/toPrecision round exact ties to even',
    find: '#include <fenv.h>\n',
    replace:
      '#include <fenv.h>\n#if defined(__wasi__) && !defined(FE_DOWNWARD)\n#define FE_DOWNWARD 0x400\n#define FE_UPWARD 0x800\n#endif\n',
  },
];

/**
 * The shadow stack of a function module (C locals, QuickJS's recursion): linked first in memory,
 * so an overflow traps instead of overwriting data. QuickJS stops JavaScript recursion 64 KiB
 * before its end with a RangeError. Every page of it costs a little on every call (the Worker
 * restores the whole memory), hence not more.
 */
export const STACK_BYTES = 256 * 1024;

/**
 * Appended to quickjs.c: Math.random's state lives in the context and is seeded once, when the
 * context is made, so every invocation, starting from the same snapshot, would draw the same
 * numbers. engine.c reseeds it from WASI's random_get at the start of each invocation.
 */
const QUICKJS_APPENDIX = `
void fl_seed_random(JSContext *ctx, uint64_t seed) {
    ctx->random_state = seed ? seed : 1;
}
`;

/** Compiler flags of every engine object. */
const CFLAGS = [
  '-O2',
  '-D_GNU_SOURCE',
  '-DCONFIG_BIGNUM',
  `-DFL_STACK_BYTES=${STACK_BYTES}`,
  '-Wno-everything',
];

/** The compiled engine: object files to link with a function's bundle. */
export interface JsEngine {
  /** The folder holding the objects. */
  dir: string;
  /** Object file names, in link order. */
  objects: string[];
  /** The QuickJS version compiled in. */
  version: string;
}

/** Where the QuickJS sources of the `qjsc` package are, its node_modules folder, and their version. */
async function quickjsSources(): Promise<{ dir: string; nodeModules: string; version: string }> {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('qjsc/package.json'));
  } catch (error) {
    throw new BuildFailedError(
      'the npm package qjsc (the QuickJS sources) is not installed: run `npm install`',
      {
        cause: error,
      },
    );
  }
  const deps = join(packageDir, 'deps');
  const folder = (await readdir(deps)).find((e) => e.startsWith('quickjs'));
  if (!folder) throw new BuildFailedError(`no QuickJS sources in ${deps}`);
  const dir = join(deps, folder);
  const version = (await readFile(join(dir, 'VERSION'), 'utf8')).trim();
  return { dir, nodeModules: dirname(packageDir), version };
}

/**
 * The folder engines are cached in: `node_modules/.cache/funless/js-engine` beside the `qjsc`
 * package (shared by every user of this installation, whatever their HOME), else, when that
 * cannot be written (a read-only global install), `~/.fl/cache/js-engine`.
 */
async function engineCacheDir(nodeModules: string, env: NodeJS.ProcessEnv): Promise<string> {
  const shared = join(nodeModules, '.cache', 'funless', 'js-engine');
  try {
    await mkdir(shared, { recursive: true });
    await access(shared, constants.W_OK);
    return shared;
  } catch {
    return join(env.HOME || homedir(), '.fl', 'cache', 'js-engine');
  }
}

async function isComplete(dir: string, objects: string[]): Promise<boolean> {
  try {
    await Promise.all(objects.map((o) => stat(join(dir, o))));
    return true;
  } catch {
    return false;
  }
}

/**
 * The JavaScript engine, built on first use and cached: QuickJS (from the `qjsc` package) patched
 * for WASI, plus the FunLess glue, compiled to wasm32 objects with `runWasmClang`. The cache key
 * is a hash of every input (sources after patching, glue, flags, toolchain choice), so a change to
 * any of them builds a new engine. Builds go to a temporary folder renamed into place, so a
 * concurrent or interrupted build never leaves a half engine under a real name.
 */
export async function jsEngine(env: NodeJS.ProcessEnv, onBuild?: (dir: string) => void): Promise<JsEngine> {
  const quickjs = await quickjsSources();
  const files = new Map<string, string>();
  for (const name of [...QUICKJS_SOURCES, ...(await readdir(quickjs.dir)).filter((e) => e.endsWith('.h'))]) {
    files.set(name, await readFile(join(quickjs.dir, name), 'utf8'));
  }
  for (const patch of PATCHES) {
    const text = files.get(patch.file)!;
    if (!text.includes(patch.find)) {
      throw new BuildFailedError(
        `QuickJS ${quickjs.version} in ${quickjs.dir} does not have the code the WASI patch for ${patch.file} expects (${patch.why})`,
      );
    }
    files.set(patch.file, text.replace(patch.find, patch.replace));
  }
  files.set('quickjs.c', files.get('quickjs.c')! + QUICKJS_APPENDIX);
  files.set('engine.c', await readFile(join(GLUE_DIR, 'engine.c'), 'utf8'));
  files.set('prelude.c', cArray('fl_prelude', await readFile(join(GLUE_DIR, 'prelude.js'))));

  const hash = createHash('sha256');
  const toolchain = await describeWasmClang(env);
  hash.update(JSON.stringify({ CFLAGS, toolchain, version: quickjs.version }));
  for (const [name, text] of [...files].sort(([a], [b]) => a.localeCompare(b)))
    hash.update(`${name}\0${text}\0`);
  const key = hash.digest('hex').slice(0, 16);

  const sources = [...QUICKJS_SOURCES, 'engine.c', 'prelude.c'];
  const objects = sources.map((s) => s.replace(/\.c$/, '.o'));
  const cacheDir = await engineCacheDir(quickjs.nodeModules, env);
  const dir = join(cacheDir, `quickjs-${quickjs.version}-${key}`);
  if (await isComplete(dir, objects)) return { dir, objects, version: quickjs.version };

  onBuild?.(dir);
  const work = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(work, { recursive: true });
  try {
    for (const [name, text] of files) await writeFile(join(work, name), text);
    const headers = [...files.keys()].filter((n) => n.endsWith('.h'));
    // One clang per object, two at a time: quickjs.c alone is most of the time.
    const queue = [...sources];
    const compileNext = async (): Promise<void> => {
      for (let source = queue.shift(); source; source = queue.shift()) {
        await runWasmClang({
          dir: work,
          inputs: [source, ...headers],
          args: [...CFLAGS, `-DCONFIG_VERSION="${quickjs.version}"`, '-I.', '-c', source],
          output: source.replace(/\.c$/, '.o'),
          what: `the JavaScript engine's build (${source})`,
          env,
        });
      }
    };
    await Promise.all([compileNext(), compileNext()]);
    await rename(work, dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another build finished first: use its engine.
      if (!(await isComplete(dir, objects))) throw error;
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { dir, objects, version: quickjs.version };
}
