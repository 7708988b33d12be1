import type { Logger } from 'pino';

import type { ClusterLease } from './cluster-lease.js';
import { PostgresLease } from './postgres-lease.js';
import type { PostgresLeaseOptions } from './postgres-lease.js';
import { SingleCoreLease } from './single-core-lease.js';

/** The lease for a Core's database: advisory locks on PostgreSQL, the single Core on SQLite. */
export function clusterLeaseFor(
  databaseUrl: string | undefined,
  logger: Logger,
  options: Omit<PostgresLeaseOptions, 'databaseUrl'> = {},
): ClusterLease {
  return databaseUrl === undefined || databaseUrl === ''
    ? new SingleCoreLease(logger)
    : new PostgresLease({ ...options, databaseUrl }, logger);
}
