import { copyFile, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { BuildFailedError, ToolchainMissingError } from '../errors/index.js';
import { runTool } from './run-tool.js';

const TARGET = 'wasm32-wasip1';

/** The crate name as cargo names its artefact (`my-fn` → `my_fn`). */
function crateName(manifest: string): string | undefined {
  const lib = /\[lib\][^[]*?\bname\s*=\s*"([^"]+)"/s.exec(manifest);
  const pkg = /\[package\][^[]*?\bname\s*=\s*"([^"]+)"/s.exec(manifest);
  return (lib?.[1] ?? pkg?.[1])?.replace(/-/g, '_');
}

/** Builds a Rust crate with `cargo build --release --target wasm32-wasip1`, when that target is installed. */
export async function buildRust(source: string, outFile: string): Promise<void> {
  const dir = resolve(source);
  const installed = await runTool('rustup', ['target', 'list', '--installed'], dir);
  if (installed && installed.code !== 0 && /no default/i.test(installed.stderr)) {
    throw new ToolchainMissingError(
      `rustup has no default Rust toolchain: run \`rustup default stable\`, then \`rustup target add ${TARGET}\``,
    );
  }
  if (installed && installed.code === 0 && !installed.stdout.split('\n').includes(TARGET)) {
    throw new ToolchainMissingError(
      `the Rust target ${TARGET} is not installed: run \`rustup target add ${TARGET}\``,
    );
  }
  const result = await runTool('cargo', ['build', '--release', '--target', TARGET], dir);
  if (!result) {
    throw new ToolchainMissingError(
      `cargo is not installed: install Rust with rustup, then \`rustup target add ${TARGET}\``,
    );
  }
  if (result.code !== 0) {
    if (/can't find crate for `(std|core)`|target may not be installed/.test(result.stderr)) {
      throw new ToolchainMissingError(
        `the Rust target ${TARGET} is not installed: run \`rustup target add ${TARGET}\``,
      );
    }
    throw new BuildFailedError(`cargo build in ${dir} failed:\n${result.stderr.trim()}`);
  }
  const releaseDir = join(dir, 'target', TARGET, 'release');
  const name = crateName(await readFile(join(dir, 'Cargo.toml'), 'utf8'));
  const wasms = (await readdir(releaseDir)).filter((e) => e.endsWith('.wasm'));
  const chosen = wasms.find((w) => w === `${name}.wasm`) ?? (wasms.length === 1 ? wasms[0] : undefined);
  if (!chosen) throw new BuildFailedError(`cargo built no single .wasm file in ${releaseDir}`);
  await copyFile(join(releaseDir, chosen), outFile);
}
