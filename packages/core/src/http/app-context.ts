import type { Logger } from 'pino';

import type { ActivationRecorder, AsyncInvocations } from '../activations/index.js';
import type { AccessPolicy, Authenticator } from '../auth/index.js';
import type { Cluster } from '../cluster/index.js';
import type { ResolvedCoreOptions } from '../config/index.js';
import type { CoreMetrics } from '../metrics/index.js';
import type { AppScriptCache } from '../scheduling/index.js';
import type { Store } from '../store/index.js';
import type { ConnectionManager } from '../subscriptions/index.js';
import type { FunctionCache } from './function-cache.js';
import type { OpenApiObject } from './openapi/openapi-helpers.js';

/** What route handlers work with. Route files receive it in their `register` function. */
export interface AppContext {
  store: Store;
  cluster: Cluster;
  authenticator: Authenticator;
  /** Who may change which module, function or APP script (roles are checked before, per route). */
  access: AccessPolicy;
  /** Functions as invocations need them; call `functions.invalidate()` after any change. */
  functions: FunctionCache;
  /** Parsed APP scripts: the script routes invalidate, the invoke route resolves policies with it. */
  appScripts: AppScriptCache;
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
  /** The events and sinks running on this Core: routes apply their changes to it. */
  connections: ConnectionManager;
}
