/**
 * The link's authentication: both sides prove they hold the cluster secret with an HMAC over fresh
 * nonces from both sides, so the secret never crosses the wire and a recorded proof is useless on
 * another connection; the keys that seal the frames after the join come from the same secret and
 * nonces. Also where the secret comes from when none is configured.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ConfigError } from './config.js';
import { SEAL_KEY_BYTES } from './link-channel/frame-seal.js';
import type { LinkKeys } from './link-channel/frame-seal.js';
import { LINK_PROTOCOL_VERSION } from './messages.js';
import { makePrivateDir, PRIVATE_FILE_MODE } from './private-files.js';

/** File under the data directory holding the generated secret. */
export const CLUSTER_SECRET_FILE = 'cluster-secret';
/** Shortest secret accepted, in characters: shorter ones are guessable. */
export const CLUSTER_SECRET_MIN_LENGTH = 16;

/** A fresh random nonce (hex of 32 bytes). */
export function linkNonce(): string {
  return randomBytes(32).toString('hex');
}

function proof(
  secret: string,
  role: 'worker' | 'core',
  coreNonce: string,
  workerNonce: string,
  name: string,
) {
  return createHmac('sha256', secret)
    .update(`funless-link-v1\n${role}\n${coreNonce}\n${workerNonce}\n${name}`)
    .digest('hex');
}

/** The Worker's proof in `join`. */
export function workerProof(secret: string, coreNonce: string, workerNonce: string, name: string): string {
  return proof(secret, 'worker', coreNonce, workerNonce, name);
}

/** The Core's proof in `join_accepted`. */
export function coreProof(secret: string, coreNonce: string, workerNonce: string, name: string): string {
  return proof(secret, 'core', coreNonce, workerNonce, name);
}

/** Compares two proofs in constant time. */
export function proofsMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The frame keys of one end of a joined connection: HKDF-SHA256 of the cluster secret, salted with
 * both nonces of its handshake and bound to the protocol version and the Worker's name, one key per
 * direction. Each connection has its own (fresh nonces), and neither end's key opens what it sent.
 */
export function linkKeys(
  secret: string,
  coreNonce: string,
  workerNonce: string,
  name: string,
  role: 'core' | 'worker',
): LinkKeys {
  const salt = `${coreNonce}\n${workerNonce}`;
  const info = `funless-link-v${LINK_PROTOCOL_VERSION} frame keys\n${name}`;
  const keys = Buffer.from(hkdfSync('sha256', secret, salt, info, 2 * SEAL_KEY_BYTES));
  const coreToWorker = keys.subarray(0, SEAL_KEY_BYTES);
  const workerToCore = keys.subarray(SEAL_KEY_BYTES);
  return role === 'core'
    ? { send: coreToWorker, receive: workerToCore }
    : { send: workerToCore, receive: coreToWorker };
}

export interface ClusterSecretOptions {
  /** The configured secret (`FL_CLUSTER_SECRET`); wins over the file. */
  secret?: string | undefined;
  /** The data directory holding `cluster-secret`. */
  dataDir: string;
  /** Generate and write the file if there is neither a secret nor a file (the Core does; a Worker only reads). */
  create: boolean;
}

/**
 * The cluster secret: the configured one, else the one in `$dataDir/cluster-secret`, else (with
 * `create`) a new random one written there with mode 0600. Throws `ConfigError` for a
 * too-short secret, or when there is none and `create` is false.
 */
export async function loadClusterSecret(options: ClusterSecretOptions): Promise<string> {
  if (options.secret !== undefined && options.secret !== '')
    return checkSecret(options.secret, 'FL_CLUSTER_SECRET');
  const file = join(options.dataDir, CLUSTER_SECRET_FILE);
  try {
    return checkSecret((await readFile(file, 'utf8')).trim(), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!options.create) {
    throw new ConfigError(
      `no cluster secret: set FL_CLUSTER_SECRET to the Core's secret (or share its ${file})`,
    );
  }
  const secret = randomBytes(32).toString('hex');
  await makePrivateDir(options.dataDir);
  // `wx`: two processes starting at once must not overwrite each other's secret.
  try {
    await writeFile(file, `${secret}\n`, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return checkSecret((await readFile(file, 'utf8')).trim(), file);
    throw error;
  }
  await chmod(file, PRIVATE_FILE_MODE);
  return secret;
}

function checkSecret(secret: string, source: string): string {
  if (secret.length < CLUSTER_SECRET_MIN_LENGTH) {
    throw new ConfigError(
      `the cluster secret from ${source} is ${secret.length} characters; it needs at least ${CLUSTER_SECRET_MIN_LENGTH}`,
    );
  }
  return secret;
}
