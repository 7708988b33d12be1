import { OPENAPI_DOCUMENT } from '../openapi/openapi-document.js';
import type { RouteRegistrar } from './route-registrar.js';

/** `GET /v1/openapi.json`: the OpenAPI 3.1 description of this API. No token needed. */
export const openapiRoutes: RouteRegistrar = (app) => {
  app.get('/v1/openapi.json', { config: { auth: 'public' } }, () => OPENAPI_DOCUMENT);
};
