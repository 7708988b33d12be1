import type { FastifyInstance } from 'fastify';

import type { AppContext } from '../app-context.js';
import type { OpenApiPart } from '../openapi/openapi-helpers.js';

/**
 * One resource's routes: the OpenAPI operations they serve (`paths`, with the `schemas` they
 * refer to), declared beside the handlers that `register` adds. Each file in this folder exports
 * one and `routes/index.ts` lists it; the API document is assembled from them.
 */
export interface RouteModule extends OpenApiPart {
  register(app: FastifyInstance, context: AppContext): void;
}
