import { assembleOpenApiDocument } from '../openapi/openapi-document.js';
import { activationRoutes } from './activations.js';
import { functionRoutes } from './functions.js';
import { healthRoutes } from './health.js';
import { invokeRoutes } from './invoke.js';
import { metricsRoutes } from './metrics.js';
import { moduleRoutes } from './modules.js';
import { openapiRoutes } from './openapi.js';
import { ownershipRoutes } from './ownership.js';
import type { RouteModule } from './route-module.js';
import { scriptRoutes } from './scripts.js';
import { signInRoutes } from './sign-in.js';
import { subjectRoutes } from './subjects.js';
import { workersRoutes } from './workers.js';

export type { RouteModule } from './route-module.js';

/** Every resource's routes. A new resource: add a file beside this one and append it here. */
export const ROUTES: readonly RouteModule[] = [
  healthRoutes,
  openapiRoutes,
  moduleRoutes,
  functionRoutes,
  invokeRoutes,
  subjectRoutes,
  ownershipRoutes,
  workersRoutes,
  scriptRoutes,
  activationRoutes,
  metricsRoutes,
  signInRoutes,
];

/**
 * The OpenAPI 3.1 description of the REST API, served at `GET /v1/openapi.json`: assembled from
 * the operations each route module declares. The tests check every request they send and every
 * response they get against it.
 */
export const OPENAPI_DOCUMENT = assembleOpenApiDocument(ROUTES);
