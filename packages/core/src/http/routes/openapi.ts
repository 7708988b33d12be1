import { response } from '../openapi/openapi-helpers.js';
import type { RouteModule } from './route-module.js';

/** `GET /v1/openapi.json`: the OpenAPI 3.1 description of this API. No token needed. */
export const openapiRoutes: RouteModule = {
  paths: {
    '/v1/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: { '200': response('OpenAPI 3.1 document', { type: 'object' }) },
      },
    },
  },
  register(app, { openapi }) {
    app.get('/v1/openapi.json', () => openapi);
  },
};
