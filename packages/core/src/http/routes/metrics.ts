import { bearerToken, hashesEqual, hashToken, UnauthorizedError } from '../../auth/index.js';
import { SubjectRole } from '../../store/index.js';
import { COMMON_ERRORS } from '../openapi/openapi-helpers.js';
import type { RouteModule } from './route-module.js';

/**
 * `GET /metrics`: the Core's metrics in Prometheus text format. It names every function that ran
 * and every Worker, so it is not public: it takes the admin token, or the token configured for
 * Prometheus alone (`FL_METRICS_TOKEN`), which reads this route and nothing else.
 */
export const metricsRoutes: RouteModule = {
  paths: {
    '/metrics': {
      get: {
        summary: 'Metrics for Prometheus',
        // Public to the role check: the route checks its own two tokens (the admin's, the metrics one).
        security: [],
        description:
          'The Core\'s metrics in Prometheus text format 0.0.4 (docs/architecture.md, "Observability"). ' +
          'Needs the admin token or the metrics token (FL_METRICS_TOKEN); subject tokens are refused.',
        responses: {
          '200': {
            description: 'Every metric, in Prometheus text format',
            content: { 'text/plain': { schema: { type: 'string', minLength: 1 } } },
          },
          '401': COMMON_ERRORS['401'],
        },
      },
    },
  },
  register(app, { authenticator, metrics, options }) {
    const metricsTokenHash = options.metricsToken === undefined ? undefined : hashToken(options.metricsToken);
    // A scrape every few seconds would fill the log with request lines: only problems are logged.
    app.get('/metrics', { config: { auth: 'public' }, logLevel: 'warn' }, async (request, reply) => {
      const header = request.headers.authorization;
      const token = bearerToken(header);
      if (metricsTokenHash === undefined || !hashesEqual(hashToken(token), metricsTokenHash)) {
        const principal = await authenticator.authenticate(header);
        if (principal.role !== SubjectRole.Admin) {
          throw new UnauthorizedError(
            'GET /metrics needs the admin token or the metrics token (FL_METRICS_TOKEN)',
          );
        }
      }
      const text = await metrics.exposition();
      return reply.type(metrics.contentType).send(text);
    });
  },
};
