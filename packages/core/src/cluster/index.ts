export type {
  Cluster,
  ClusterFunction,
  ClusterFunctionCode,
  InvocationDetails,
  InvokeOptions,
  PushReport,
  WorkerInfo,
} from './cluster.js';
export { NoWorkersCluster } from './no-workers-cluster.js';
export type { ClusterContext, ClusterFactory } from './cluster-factory.js';
export { CoreCluster, DEFAULT_CORE_CLUSTER_OPTIONS } from './core-cluster.js';
export type { ClusterLogger } from './cluster-logger.js';
export type { Closable, CodeSource, CoreClusterOptions, LinkEndpoint } from './core-cluster.js';
export { WorkerRegistry } from './worker-registry.js';
export type { Placed, Reservation, WorkerJoin, WorkerReport } from './worker-registry.js';
export { coreClusterFromEnv, CLUSTER_ENV_VARIABLES } from './core-cluster-from-env.js';
