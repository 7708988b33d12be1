import { SubjectRole } from '@funless/protocol';

import { COMMON_ERRORS, data, minRole, ref, response } from '../openapi/openapi-helpers.js';
import type { RouteModule } from './route-module.js';

/** `GET /v1/workers`: the Workers the cluster knows, with their resources. */
export const workersRoutes: RouteModule = {
  paths: {
    '/v1/workers': {
      get: {
        summary: 'Connected Workers and their resources',
        ...minRole(SubjectRole.Developer),
        responses: {
          '200': response('Workers', data({ type: 'array', items: ref('Worker') })),
          '401': COMMON_ERRORS['401'],
          '503': COMMON_ERRORS['503'],
        },
      },
    },
  },
  schemas: {
    Worker: {
      type: 'object',
      required: [
        'name',
        'tag',
        'memoryTotalMiB',
        'memoryFreeMiB',
        'inFlight',
        'threads',
        'runningTags',
        'secondsSinceReport',
        'cpuUse',
        'loadAverage',
      ],
      properties: {
        name: { type: 'string' },
        tag: { type: 'string' },
        memoryTotalMiB: { type: 'number', minimum: 0 },
        memoryFreeMiB: { type: 'number' },
        inFlight: { type: 'integer', minimum: 0 },
        threads: { type: 'integer', minimum: 0, description: 'Invocations the Worker runs at once' },
        runningTags: { type: 'array', items: { type: 'string' } },
        secondsSinceReport: { type: 'number', minimum: 0 },
        cpuUse: {
          type: ['number', 'null'],
          minimum: 0,
          maximum: 1,
          description:
            "Share of the Worker machine's CPU time busy (all cores), from its last report; null before the first",
        },
        loadAverage: {
          type: ['array', 'null'],
          items: { type: 'number', minimum: 0 },
          minItems: 3,
          maxItems: 3,
          description:
            "The Worker machine's load average over 1, 5 and 15 minutes, from its last report; null before the first",
        },
      },
    },
  },
  register(app, { cluster }) {
    app.get('/v1/workers', () => ({ data: cluster.workers() }));
  },
};
