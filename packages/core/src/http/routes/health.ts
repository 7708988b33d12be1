import { ErrorCode, FlError } from '@funless/protocol';

import { data, error, response } from '../openapi/openapi-helpers.js';
import type { RouteModule } from './route-module.js';

/** How long health and readiness wait for the database to answer `select 1`. */
export const DATABASE_PING_TIMEOUT_MS = 2000;

/**
 * `GET /v1/`: the Core is up and its database answers. `GET /v1/ready`: this Core can serve, for
 * load balancers and Kubernetes readiness probes (docs/api.md, "Health and readiness"): its
 * database answers, and its cache is in step with the other Cores (after a lost connection it is
 * not until it listens to their changes again). Migrations ran before the Core listened. Once it
 * starts shutting down Fastify answers 503 to every request, this one included. No token needed.
 */
export const healthRoutes: RouteModule = {
  paths: {
    '/v1/': {
      get: {
        summary: 'Health',
        security: [],
        responses: {
          '200': response(
            'The Core is up and its database answers',
            data({
              type: 'object',
              required: ['status', 'database', 'storage'],
              additionalProperties: false,
              properties: {
                status: { const: 'ok' },
                database: { enum: ['sqlite', 'postgres'] },
                storage: { const: 'ok' },
              },
            }),
          ),
          '503': error('The database does not answer: the detail says why'),
        },
      },
    },
    '/v1/ready': {
      get: {
        summary: 'Readiness',
        security: [],
        responses: {
          '200': response(
            'This Core can serve: its database answers, it hears the changes of the other Cores, and it is not shutting down',
            data({
              type: 'object',
              required: ['ready'],
              additionalProperties: false,
              properties: { ready: { const: true } },
            }),
          ),
          '503': error(
            'This Core cannot serve: the detail says why (database unavailable, not hearing the changes of the other Cores, shutting down)',
          ),
        },
      },
    },
  },
  register(app, { store }) {
    app.get('/v1/', async () => {
      await store.ping(DATABASE_PING_TIMEOUT_MS);
      return { data: { status: 'ok', database: store.dialect, storage: 'ok' } };
    });
    app.get('/v1/ready', async () => {
      await store.ping(DATABASE_PING_TIMEOUT_MS);
      const reason = store.unavailableReason;
      if (reason !== undefined)
        throw new FlError(ErrorCode.Unavailable, `this Core cannot serve yet: ${reason}`);
      return { data: { ready: true } };
    });
  },
};
