import type { Server } from 'node:http';

import type { Logger } from 'pino';

import type { ResolvedCoreOptions } from '../config/index.js';
import type { ClusterMetrics } from '../metrics/index.js';
import type { Store } from '../store/index.js';
import type { Cluster } from './cluster.js';

/** What a cluster implementation gets when the Core builds it. */
export interface ClusterContext {
  /** To serve code requests (`store.getFunctionWithCode`). */
  store: Store;
  /**
   * The Core's HTTP server (not listening yet; an HTTPS one with `options.tls`): attach a WebSocket
   * upgrade handler to it.
   */
  server: Server;
  logger: Logger;
  options: ResolvedCoreOptions;
  /** The Core app's metrics, to tell of invocations, decisions and pushes. @default none */
  metrics?: ClusterMetrics;
}

/** Builds the cluster once the Core's store and server exist. */
export type ClusterFactory = (context: ClusterContext) => Cluster;
