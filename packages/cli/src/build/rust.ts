import { copyFile, realpath } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BuildFailedError, ToolchainMissingError } from '../errors/index.js';
import { exists } from './path-exists.js';
import { runTool } from './run-tool.js';

/** What `fl fn build` needs for Rust: Debian's compiler, its wasm32-wasi standard library, and the crates of the SDK. */
export const RUST_DEBIAN_PACKAGES =
  'rustc cargo libstd-rust-dev-wasm32 librust-serde-dev librust-serde-json-dev';
const INSTALL = `apt-get install ${RUST_DEBIAN_PACKAGES}`;

/** The WASI preview1 target, under its name since Rust 1.78 and under the one Debian's 1.63 knows. */
const TARGETS = ['wasm32-wasip1', 'wasm32-wasi'] as const;

/** Debian's crate sources (`librust-*-dev` packages), a cargo directory registry. */
const DEBIAN_REGISTRY = '/usr/share/cargo/registry';

/** This repository's Rust SDK (`funless`) and the crate with FunLess's SDK interface (`fl-wasm-rs`). */
export const SDK_RUST_DIR = fileURLToPath(new URL('../../../../sdk-rust/', import.meta.url));
const FL_WASM_RS_DIR = join(SDK_RUST_DIR, 'compat', 'fl-wasm-rs');

/** A Rust toolchain that can build for WASI. */
export interface RustToolchain {
  rustc: string;
  cargo: string;
  target: (typeof TARGETS)[number];
  /** `rustc --version` */
  version: string;
}

/** Debian's compiler, looked at after PATH's. */
const DEBIAN_RUSTC = ['/usr/bin/rustc'];

/** Every `rustc` on PATH, then `extra`, each once (a rustup proxy and Debian's are different ones). */
async function rustcCandidates(env: NodeJS.ProcessEnv, extra: readonly string[]): Promise<string[]> {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const seen = new Set<string>();
  const found: string[] = [];
  for (const file of [...dirs.map((d) => join(d, 'rustc')), ...extra]) {
    if (!(await exists(file))) continue;
    const real = await realpath(file);
    if (seen.has(real)) continue;
    seen.add(real);
    found.push(file);
  }
  return found;
}

/**
 * The first Rust toolchain whose standard library for WASI is installed, looked up on PATH and
 * then at /usr/bin: a rustup toolchain without the target often comes first on PATH, and
 * Debian's `libstd-rust-dev-wasm32` adds the target to /usr/bin/rustc only. Its cargo is the one
 * beside it. None: one message naming the Debian packages to install.
 */
export async function findRustToolchain(
  env: NodeJS.ProcessEnv,
  cwd: string,
  fallbacks: readonly string[] = DEBIAN_RUSTC,
): Promise<RustToolchain> {
  const checked: string[] = [];
  for (const rustc of await rustcCandidates(env, fallbacks)) {
    const sysroot = await runTool(rustc, ['--print', 'sysroot'], cwd, env);
    const version = await runTool(rustc, ['--version'], cwd, env);
    if (!sysroot || sysroot.code !== 0 || !version || version.code !== 0) {
      checked.push(`${rustc} (does not run: ${(sysroot?.stderr ?? '').trim().split('\n')[0] ?? ''})`);
      continue;
    }
    const cargo = join(dirname(rustc), 'cargo');
    const rustlib = join(sysroot.stdout.trim(), 'lib', 'rustlib');
    let target: RustToolchain['target'] | undefined;
    for (const t of TARGETS) if (await exists(join(rustlib, t, 'lib'))) target ??= t;
    const name = `${rustc} (${version.stdout.trim()})`;
    if (!target) {
      checked.push(`${name} has no wasm32-wasi target`);
    } else if (!(await exists(cargo))) {
      checked.push(`${name} has no cargo beside it`);
    } else {
      return { rustc, cargo, target, version: version.stdout.trim() };
    }
  }
  const seen = checked.length ? ` (found: ${checked.join('; ')})` : '';
  throw new ToolchainMissingError(
    `no Rust toolchain with the wasm32-wasi target is installed${seen}: run \`${INSTALL}\``,
  );
}

/** Debian package of a crate: `serde_json` → `librust-serde-json-dev`. */
function debianPackageOf(crate: string): string {
  return `librust-${crate.toLowerCase().replace(/_/g, '-')}-dev`;
}

/**
 * The cargo configuration of a build, as `--config` values (the user's ~/.cargo is left as it
 * is): crates come from Debian's registry when it is installed, so builds are offline, and a
 * project that asks for FunLess's `fl-wasm-rs` from crates.io gets this repository's crate with
 * the same interface.
 */
async function cargoConfig(): Promise<string[]> {
  if (!(await exists(DEBIAN_REGISTRY))) return [];
  const toml = (s: string) => JSON.stringify(s);
  return [
    `source.crates-io.replace-with=${toml('debian-packages')}`,
    `source.debian-packages.directory=${toml(DEBIAN_REGISTRY)}`,
    `patch.crates-io.fl-wasm-rs.path=${toml(FL_WASM_RS_DIR)}`,
    'net.offline=true',
  ].flatMap((value) => ['--config', value]);
}

interface CargoMessage {
  reason?: string;
  filenames?: string[];
  target?: { name?: string };
}

/** The .wasm files cargo reported building (`--message-format json`), by artefact name. */
function wasmArtifacts(stdout: string): { name: string; file: string }[] {
  const artifacts: { name: string; file: string }[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let message: CargoMessage;
    try {
      message = JSON.parse(line) as CargoMessage;
    } catch {
      continue;
    }
    if (message.reason !== 'compiler-artifact') continue;
    for (const file of message.filenames ?? []) {
      if (file.endsWith('.wasm')) artifacts.push({ name: message.target?.name ?? file, file });
    }
  }
  return artifacts;
}

/** Names what to do about a cargo failure a user can fix by installing or relaxing something. */
function explainCargoFailure(stderr: string, toolchain: RustToolchain): string | undefined {
  const missing = /no matching package named `([^`]+)` found/.exec(stderr);
  if (missing) {
    return `the crate ${missing[1]} is not in Debian's registry (${DEBIAN_REGISTRY}): run \`apt-get install ${debianPackageOf(missing[1]!)}\``;
  }
  const version = /failed to select a version for the requirement `([^`]+)`/.exec(stderr);
  if (version) {
    return `${version[1]} is not available offline (Debian's registry has the versions in ${DEBIAN_REGISTRY}): ask for an older version in Cargo.toml, or remove a Cargo.lock written against crates.io`;
  }
  if (/can't find crate for `(std|core)`/.test(stderr)) {
    return `${toolchain.rustc} lacks the ${toolchain.target} standard library: run \`${INSTALL}\``;
  }
  return undefined;
}

/**
 * Builds a Cargo project: `cargo build --release --target wasm32-wasi[p1]` with the toolchain
 * `findRustToolchain` picks, offline against Debian's crates, `--ignore-rust-version` (crates
 * often ask for a newer rustc than Debian's 1.63 while building fine with it). Returns which
 * toolchain was used.
 */
export async function buildRust(source: string, outFile: string, env: NodeJS.ProcessEnv): Promise<string> {
  const dir = resolve(source);
  const toolchain = await findRustToolchain(env, dir);
  const args = [
    'build',
    '--release',
    '--target',
    toolchain.target,
    '--ignore-rust-version',
    '--message-format',
    'json-render-diagnostics',
    ...(await cargoConfig()),
  ];
  // RUSTC pins the compiler: a rustup proxy cargo would otherwise pick its own.
  const result = await runTool(toolchain.cargo, args, dir, { ...env, RUSTC: toolchain.rustc });
  if (!result) throw new ToolchainMissingError(`${toolchain.cargo} does not run: run \`${INSTALL}\``);
  if (result.code !== 0) {
    const output = result.stderr.trim();
    const hint = explainCargoFailure(output, toolchain);
    const message = `cargo build in ${dir} failed${hint ? `: ${hint}` : ''}:\n${output}`;
    throw hint?.includes('apt-get install')
      ? new ToolchainMissingError(message)
      : new BuildFailedError(message);
  }
  const artifacts = wasmArtifacts(result.stdout);
  if (artifacts.length !== 1) {
    const listed = artifacts.map((a) => a.file).join(', ') || 'none';
    throw new BuildFailedError(
      `cargo build in ${dir} must produce one .wasm module (a cdylib or one binary), it produced: ${listed}`,
    );
  }
  await copyFile(artifacts[0]!.file, outFile);
  return `${toolchain.rustc}, ${toolchain.version}, ${toolchain.target}`;
}
