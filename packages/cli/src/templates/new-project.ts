import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkName } from '../args/index.js';
import { SDK_RUST_DIR } from '../build/rust.js';
import { CliError } from '../errors/index.js';

/** Languages with a template. */
export const TEMPLATE_LANGUAGES = ['js', 'ts', 'as', 'c', 'wat', 'rust'] as const;
export type TemplateLanguage = (typeof TEMPLATE_LANGUAGES)[number];

/** packages/cli/templates, shipped with the package (package.json "files"). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url));

export interface NewProjectOptions {
  name: string;
  language: TemplateLanguage;
  /** @default `./<name>` */
  outDir?: string;
  /** Base for a relative `outDir`. @default process.cwd() */
  cwd?: string;
}

// npm drops files named .gitignore from packages, so the templates ship it (and .cargo) without the dot.
const RENAMES: Record<string, string> = { gitignore: '.gitignore', cargo: '.cargo' };

/**
 * Creates a function project from a template, with `{{name}}` replaced by the function name.
 * Refuses a target directory that exists and is not empty. Returns the directory and its files.
 */
export async function newProject(options: NewProjectOptions): Promise<{ dir: string; files: string[] }> {
  checkName(options.name, 'function');
  if (!(TEMPLATE_LANGUAGES as readonly string[]).includes(options.language)) {
    throw new CliError(`no template for "${options.language}": use one of ${TEMPLATE_LANGUAGES.join(', ')}`);
  }
  const dir = resolve(options.cwd ?? process.cwd(), options.outDir ?? options.name);
  try {
    const entries = await readdir(dir);
    if (entries.length > 0) throw new CliError(`${dir} already exists and is not empty`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CliError(`cannot use ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }
  const values: Record<string, string> = { name: options.name };
  if (options.language === 'rust') values.sdkRust = await rustSdkDir();
  const files: string[] = [];
  await copyTree(join(TEMPLATES_DIR, options.language), dir, '', values, files);
  return { dir, files };
}

/** The Rust template depends on the SDK crate by path: where it is, as a TOML string's content. */
async function rustSdkDir(): Promise<string> {
  try {
    await stat(join(SDK_RUST_DIR, 'Cargo.toml'));
  } catch {
    throw new CliError(
      `the Rust SDK crate is not at ${SDK_RUST_DIR}: the Rust template needs this repository's packages/sdk-rust`,
    );
  }
  return JSON.stringify(SDK_RUST_DIR.replace(/[\\/]$/, '')).slice(1, -1);
}

async function copyTree(
  from: string,
  to: string,
  rel: string,
  values: Record<string, string>,
  files: string[],
): Promise<void> {
  const name = values.name!;
  await mkdir(to, { recursive: true });
  for (const entry of (await readdir(from)).sort()) {
    const source = join(from, entry);
    const targetName = RENAMES[entry] ?? entry.replace('function.wat', `${name}.wat`);
    const target = join(to, targetName);
    if ((await stat(source)).isDirectory()) {
      await copyTree(source, target, join(rel, targetName), values, files);
    } else {
      const text = await readFile(source, 'utf8');
      await writeFile(
        target,
        text.replace(/\{\{(\w+)\}\}/g, (m, key: string) => values[key] ?? m),
      );
      files.push(join(rel, targetName));
    }
  }
}
