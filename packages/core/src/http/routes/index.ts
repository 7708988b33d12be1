import { functionRoutes } from './functions.js';
import { healthRoutes } from './health.js';
import { invokeRoutes } from './invoke.js';
import { moduleRoutes } from './modules.js';
import { openapiRoutes } from './openapi.js';
import type { RouteRegistrar } from './route-registrar.js';
import { scriptRoutes } from './scripts.js';
import { subjectRoutes } from './subjects.js';
import { workersRoutes } from './workers.js';

export type { RouteRegistrar } from './route-registrar.js';

/** Every resource's routes. A new resource: add a file beside this one and append it here. */
export const ROUTES: readonly RouteRegistrar[] = [
  healthRoutes,
  openapiRoutes,
  moduleRoutes,
  functionRoutes,
  invokeRoutes,
  subjectRoutes,
  workersRoutes,
  scriptRoutes,
];
