/** Scheduling: the default policy and APP scripts. Decisions are pure functions of a Worker snapshot. */
export type { Placement, PlacementPolicy, PlacementRequest, SchedulingRequest, WorkerView } from './types.js';
export { defaultPolicy } from './default-policy.js';
export { ParsedAppScripts } from './parsed-app-scripts.js';
export type { AppScriptSource } from './parsed-app-scripts.js';
export { SCHEDULING_LANGUAGES, SchedulingLanguage, resolvePolicy } from './resolve-policy.js';
export * from './app/index.js';
