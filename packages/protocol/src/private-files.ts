/**
 * The data directory holds the users' code, the token hashes and the cluster secret: the Core and
 * the Worker keep it and everything they write in it owner-only (docs/configuration.md, "Data at
 * rest").
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';

/** Mode of the data directory and of the directories the platform makes in it: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of the files the platform writes in the data directory: owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) owner-only, or tightens an existing one to that. */
export async function makePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await chmod(dir, PRIVATE_DIR_MODE);
}

/** `makePrivateDir`, for startup code that runs before anything else may touch the directory. */
export function makePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}
