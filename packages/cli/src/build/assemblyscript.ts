import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BuildFailedError, CliError, ToolchainMissingError } from '../errors/index.js';

const SDK_PACKAGE = '@funless/sdk-assemblyscript';

interface AscApi {
  main(
    argv: string[],
    options?: { stdout?: unknown; stderr?: unknown },
  ): Promise<{ error: Error | null; stderr: { toString(): string } }>;
  createMemoryStream(): { toString(): string };
}

async function loadAsc(): Promise<AscApi> {
  const specifier = 'assemblyscript/asc';
  try {
    const mod = (await import(specifier)) as { default: AscApi };
    return mod.default;
  } catch (error) {
    throw new ToolchainMissingError(
      'the AssemblyScript compiler is not installed: run `npm install --save-dev assemblyscript`',
      { cause: error },
    );
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where the SDK lives: its package folder and a `node_modules`-like folder holding
 * `@funless/sdk-assemblyscript`, which asc searches (`--path`) for projects outside this tree.
 */
export async function locateSdk(): Promise<{ packageDir: string; searchPath: string }> {
  let packageDir: string;
  try {
    packageDir = dirname(fileURLToPath(import.meta.resolve(`${SDK_PACKAGE}/package.json`)));
  } catch (error) {
    throw new ToolchainMissingError(
      `the AssemblyScript SDK is not installed: run \`npm install ${SDK_PACKAGE}\``,
      {
        cause: error,
      },
    );
  }
  // Installed from a registry: .../node_modules/@funless/sdk-assemblyscript.
  if (
    basename(dirname(packageDir)) === '@funless' &&
    basename(dirname(dirname(packageDir))) === 'node_modules'
  ) {
    return { packageDir, searchPath: dirname(dirname(packageDir)) };
  }
  // A workspace: the package is a symlink in some node_modules above its real folder.
  for (let dir = packageDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (await isDirectory(join(candidate, SDK_PACKAGE))) return { packageDir, searchPath: candidate };
    if (dirname(dir) === dir) break;
  }
  throw new ToolchainMissingError(
    `cannot find ${SDK_PACKAGE} in any node_modules folder above ${packageDir}`,
  );
}

/**
 * Compiles an AssemblyScript project (`<dir>/assembly/index.ts`, or the given `.ts` file) with the
 * asc API, optimised, with the SDK's replacements for the host functions AssemblyScript would
 * otherwise import from `env` (abort, trace, seed), which the platform does not provide.
 * An `asconfig.json` in the project folder is honoured for everything else.
 */
export async function buildAssemblyScript(source: string, outFile: string, colors: boolean): Promise<void> {
  const isDir = await isDirectory(source);
  const projectDir = isDir ? source : dirname(source);
  const entry = isDir ? join(source, 'assembly', 'index.ts') : source;
  try {
    await stat(entry);
  } catch {
    throw new CliError(`no AssemblyScript entry file: ${entry} does not exist`);
  }
  const asc = await loadAsc();
  const sdk = await locateSdk();
  const stderr = asc.createMemoryStream();
  const stdout = asc.createMemoryStream();
  const argv = [
    resolve(entry),
    '--outFile',
    resolve(outFile),
    '--optimize',
    '--baseDir',
    resolve(projectDir),
    '--lib',
    join(sdk.packageDir, 'lib', 'funless-globals.ts'),
    '--use',
    'abort=fl_abort',
    '--use',
    'trace=fl_trace',
    '--use',
    'seed=fl_seed',
    '--path',
    sdk.searchPath,
  ];
  if (!colors) argv.push('--noColors');
  const result = await asc.main(argv, { stdout, stderr });
  if (result.error) {
    const diagnostics = stderr.toString().trim();
    throw new BuildFailedError(
      `AssemblyScript build of ${entry} failed:\n${diagnostics || result.error.message}`,
    );
  }
}
