export { runCore } from './run-core.js';
export type { RunCoreOptions } from './run-core.js';
export { startCore } from './start-core.js';
export type { RunningCore, StartCoreOptions } from './start-core.js';
