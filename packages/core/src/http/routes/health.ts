import type { RouteRegistrar } from './route-registrar.js';

/** `GET /v1/`: the Core is up. No token needed. */
export const healthRoutes: RouteRegistrar = (app, { store }) => {
  app.get('/v1/', { config: { auth: 'public' } }, () => ({
    data: { status: 'ok', database: store.dialect },
  }));
};
