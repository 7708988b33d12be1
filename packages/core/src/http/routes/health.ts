import { data, response } from '../openapi/openapi-helpers.js';
import type { RouteModule } from './route-module.js';

/** `GET /v1/`: the Core is up. No token needed. */
export const healthRoutes: RouteModule = {
  paths: {
    '/v1/': {
      get: {
        summary: 'Health',
        security: [],
        responses: {
          '200': response(
            'The Core is up',
            data({
              type: 'object',
              required: ['status', 'database'],
              additionalProperties: false,
              properties: { status: { const: 'ok' }, database: { enum: ['sqlite', 'postgres'] } },
            }),
          ),
        },
      },
    },
  },
  register(app, { store }) {
    app.get('/v1/', { config: { auth: 'public' } }, () => ({
      data: { status: 'ok', database: store.dialect },
    }));
  },
};
