import type { FastifyInstance } from 'fastify';

import type { AppContext } from '../app-context.js';

/** One resource's routes. Each file in this folder exports one and `routes/index.ts` lists it. */
export type RouteRegistrar = (app: FastifyInstance, context: AppContext) => void;
