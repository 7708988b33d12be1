import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { makePrivateDir, PRIVATE_FILE_MODE } from '@funless/protocol';

/** File under the Core's data directory holding its id. */
export const CORE_ID_FILE = 'core-id';

const CORE_ID = /^[a-f0-9]{32}$/;

/**
 * This Core's id, kept in `$dataDir/core-id` so that it survives restarts: the asynchronous
 * invocations a Core was running when it stopped are the ones its next start ends as `interrupted`
 * (docs/activations.md). Cores sharing a PostgreSQL database each have their own data directory,
 * hence their own id.
 */
export async function coreId(dataDir: string): Promise<string> {
  const file = join(dataDir, CORE_ID_FILE);
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (CORE_ID.test(id)) {
      await chmod(file, PRIVATE_FILE_MODE);
      return id;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const id = randomBytes(16).toString('hex');
  await makePrivateDir(dataDir);
  await writeFile(file, `${id}\n`, { mode: PRIVATE_FILE_MODE });
  return id;
}
