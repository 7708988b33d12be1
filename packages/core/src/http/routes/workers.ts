import type { RouteRegistrar } from './route-registrar.js';

/** `GET /v1/workers`: the Workers the cluster knows, with their resources. */
export const workersRoutes: RouteRegistrar = (app, { cluster }) => {
  app.get('/v1/workers', () => ({ data: cluster.workers() }));
};
