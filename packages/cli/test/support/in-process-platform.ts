import { join } from 'node:path';

import { runPlatform } from '../../src/platform/index.js';
import type { RunningPlatform } from '../../src/platform/index.js';

/**
 * `fl up` in this process for a test: its data under `dir`, a free port, `adminToken`, discovery
 * off, silent, one Worker thread. With it, the environment `fl` runs with against it as the admin.
 */
export async function startInProcessPlatform(
  dir: string,
  adminToken: string,
): Promise<{ platform: RunningPlatform; env: NodeJS.ProcessEnv }> {
  const platform = await runPlatform(
    {
      HOME: dir,
      FL_DATA_DIR: join(dir, 'data'),
      FL_PORT: '0',
      FL_ADMIN_TOKEN: adminToken,
      FL_DISCOVERY: 'off',
      FL_LOG_LEVEL: 'silent',
      FL_WORKER_THREADS: '1',
    },
    { handleSignals: false, out: { write: () => true } },
  );
  return { platform, env: { HOME: dir, FL_API_HOST: platform.core.url, FL_API_TOKEN: adminToken } };
}
