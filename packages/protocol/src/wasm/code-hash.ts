import { createHash } from 'node:crypto';

/** Hex SHA-256 of a function's binary: the version the Core stores and the Workers key their caches on. */
export function codeHash(code: Uint8Array): string {
  return createHash('sha256').update(code).digest('hex');
}
