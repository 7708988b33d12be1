export type {
  Cluster,
  ClusterFunction,
  ClusterFunctionCode,
  InvokeFailure,
  InvokeOptions,
  PushReport,
  SchedulingRequest,
  WorkerInfo,
} from './cluster.js';
export { NoWorkersCluster } from './no-workers-cluster.js';
export type { ClusterContext, ClusterFactory } from './cluster-factory.js';
