import type { Logger } from 'pino';

import type { ActivationRecorder, AsyncInvocations } from '../activations/index.js';
import type { AccessPolicy, Authenticator, SignInCodes } from '../auth/index.js';
import type { Cluster } from '../cluster/index.js';
import type { ResolvedCoreOptions } from '../config/index.js';
import type { ClusterLease } from '../lease/index.js';
import type { CoreMetrics } from '../metrics/index.js';
import type { ParsedAppScripts } from '../scheduling/index.js';
import type { CachedStore } from '../store/index.js';
import type { ConnectionManager } from '../subscriptions/index.js';
import type { OpenApiObject } from './openapi/openapi-helpers.js';

/** What route handlers work with. Route files receive it in their `register` function. */
export interface AppContext {
  /**
   * The one cache in front of the database: reads of subjects, functions and APP scripts come from
   * memory, and its own writes and other Cores' changes forget what they touch.
   */
  store: CachedStore;
  cluster: Cluster;
  authenticator: Authenticator;
  /** Who may change which module, function or APP script (roles are checked before, per route). */
  access: AccessPolicy;
  /** Parsed APP scripts, as fresh as the store: the invoke route resolves policies with it. */
  appScripts: ParsedAppScripts;
  /** Activation records: written behind invocations, read by the activation routes. */
  activations: ActivationRecorder;
  /** Invocations with `?blocking=false`. */
  asyncInvocations: AsyncInvocations;
  options: ResolvedCoreOptions;
  logger: Logger;
  /** The OpenAPI document of the routes, served at `GET /v1/openapi.json`. */
  openapi: OpenApiObject;
  /** This app's metrics, served at `GET /metrics`; the activation work feeds its interfaces. */
  metrics: CoreMetrics;
  /** The console's one-time sign-in codes, held by this app (`/v1/sign-in`). */
  signInCodes: SignInCodes;
  /** The events and sinks running on this Core: routes apply their changes to it. */
  connections: ConnectionManager;
  /** Who runs the once-per-cluster work; merged tasks register with `lease.run(name, task)`. */
  lease: ClusterLease;
}
