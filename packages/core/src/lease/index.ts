export type { ClusterLease, LeaseRegistration, LeasedTask } from './cluster-lease.js';
export { SingleCoreLease } from './single-core-lease.js';
export { DEFAULT_POSTGRES_LEASE_OPTIONS, PostgresLease } from './postgres-lease.js';
export type { PostgresLeaseOptions } from './postgres-lease.js';
export { clusterLeaseFor } from './cluster-lease-for.js';
