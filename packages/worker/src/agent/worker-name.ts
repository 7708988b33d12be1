import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { makePrivateDir, PRIVATE_FILE_MODE } from '@funless/protocol';

/** File under the data directory holding the stable part of the default Worker name. */
export const WORKER_ID_FILE = 'worker-id';

/**
 * The default Worker name: the host name (reduced to letters, digits, `_`, `.` and `-`) plus a
 * short random suffix kept in `$dataDir/worker-id`, so the name is unique on the network and
 * stays the same across restarts (APP scripts refer to it). Two Workers sharing a data directory
 * share the name: give each its own `FL_DATA_DIR` or `FL_WORKER_NAME`.
 */
export async function defaultWorkerName(dataDir: string): Promise<string> {
  const file = join(dataDir, WORKER_ID_FILE);
  let id: string | undefined;
  try {
    id = (await readFile(file, 'utf8')).trim();
    await chmod(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (id === undefined || !/^[a-f0-9]{6,32}$/.test(id)) {
    id = randomBytes(3).toString('hex');
    await makePrivateDir(dataDir);
    await writeFile(file, `${id}\n`, { mode: PRIVATE_FILE_MODE });
  }
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 140) || 'worker';
  return `${host}-${id}`;
}
