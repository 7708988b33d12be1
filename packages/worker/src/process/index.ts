/** Starting a Worker: in this process (`startWorker`) or from the environment (`runWorker`, `fl worker`). */
export { startWorker } from './start-worker.js';
export type { StartWorkerOptions, WorkerHandle } from './start-worker.js';
export { runWorker, workerIdentityFromEnv, WORKER_ENV_VARIABLES } from './run-worker.js';
export type { RunWorkerOptions } from './run-worker.js';
