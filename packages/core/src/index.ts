/** @funless/core: the REST API, storage, authentication and the cluster seam of the Core. */
export * from './activations/index.js';
export * from './auth/index.js';
export * from './cluster/index.js';
export * from './config/index.js';
export * from './http/index.js';
export * from './lease/index.js';
export * from './metrics/index.js';
export * from './server/index.js';
export * from './store/index.js';
export type * from './scheduling/types.js';
