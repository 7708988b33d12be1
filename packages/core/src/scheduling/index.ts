/** Scheduling: the default policy and APP scripts. Pure functions of a Worker snapshot. */
export type { Placement, PlacementRequest, WorkerView } from './types.js';
export { defaultPolicy } from './default-policy.js';
export * from './app/index.js';
