import { relative, resolve } from 'node:path';

import { build, type BuildFailure, type BuildOptions, type Message } from 'esbuild';

import { BuildFailedError } from '../../errors/index.js';

/**
 * What the engine can run: QuickJS implements ES2020 (and parts of later editions), so esbuild
 * lowers newer syntax to it.
 */
const TARGET = 'es2020';

/** The global the bundle puts the entry module's exports in (prelude.js reads it). */
const EXPORTS_GLOBAL = '__fl_module';

/** The names a function may be exported under, in the order they are looked for. */
const FUNCTION_EXPORTS = ['default', 'main'] as const;

/** An esbuild message as `file:line:column: text`, with the source line under it. */
function formatMessage(message: Message, cwd: string): string {
  const where = message.location;
  if (!where) return message.text;
  // esbuild names files relative to its working directory (cwd).
  const file = relative(cwd, resolve(cwd, where.file)) || where.file;
  const caret = `${' '.repeat(where.column)}^`;
  return `${file}:${where.line}:${where.column + 1}: ${message.text}\n    ${where.lineText}\n    ${caret}`;
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return typeof error === 'object' && error !== null && Array.isArray((error as BuildFailure).errors);
}

async function run(options: BuildOptions, entry: string, cwd: string) {
  try {
    return await build({ ...options, write: false, logLevel: 'silent' });
  } catch (error) {
    if (!isBuildFailure(error)) throw error;
    const errors = error.errors.map((m) => formatMessage(m, cwd)).join('\n');
    throw new BuildFailedError(`JavaScript build of ${relative(cwd, entry) || entry} failed:\n${errors}`, {
      cause: error,
    });
  }
}

/**
 * Bundles a function's entry module and the npm packages it imports into one script for the
 * engine (esbuild: TypeScript types stripped, newer syntax lowered to ES2020), whose exports go to
 * the global `__fl_module`. Fails, naming file, line and column, on a syntax error or an import
 * that cannot be resolved, and, naming what was expected, when the entry module exports neither a
 * default nor a `main`.
 */
export async function bundleJavaScript(entry: string, cwd: string): Promise<string> {
  const common: BuildOptions = {
    entryPoints: [entry],
    absWorkingDir: cwd,
    bundle: true,
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: TARGET,
    charset: 'utf8',
  };
  // An ES module build first: its metafile lists the entry's exports.
  const esm = await run({ ...common, entryPoints: [entry], format: 'esm', metafile: true }, entry, cwd);
  const exports = Object.values(esm.metafile?.outputs ?? {}).flatMap((o) => o.exports);
  if (!FUNCTION_EXPORTS.some((name) => exports.includes(name))) {
    const found = exports.length > 0 ? `it exports ${exports.join(', ')}` : 'it exports nothing';
    throw new BuildFailedError(
      `${relative(cwd, entry) || entry} must export the function as default (\`export default function (args) { … }\`) or as \`main\` (\`export function main(args) { … }\`): ${found}`,
    );
  }
  const script = await run({ ...common, format: 'iife', globalName: EXPORTS_GLOBAL }, entry, cwd);
  const output = script.outputFiles?.[0];
  if (!output) throw new BuildFailedError(`JavaScript build of ${entry} produced no output`);
  return output.text;
}
