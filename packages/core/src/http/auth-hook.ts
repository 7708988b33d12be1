import type { FastifyReply, FastifyRequest } from 'fastify';

import { UnauthorizedError, hasRole, requireRole } from '../auth/index.js';
import type { Authenticator, Principal } from '../auth/index.js';
import { SubjectRole } from '../store/index.js';

/**
 * Who may call a route: anyone, or a subject with at least this role. Each operation of the API
 * document declares it (`x-fl-role`, or `security: []` for public ones), and `buildApp` gives
 * every route the level of its operation.
 */
export type AuthLevel = 'public' | SubjectRole;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set from the API document by `buildApp`. @default 'admin' (for a route it missed) */
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    /** The caller, once authenticated; undefined on public routes. */
    principal: Principal | undefined;
  }
}

/**
 * An `onRequest` hook enforcing each route's `config.auth`, before any body is read. Unknown
 * routes skip it (they are 404). A subject token on an admin route is 401, as it always was; a
 * role too small for any other route is 403.
 */
export function createAuthHook(authenticator: Authenticator) {
  return async function authHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (request.is404) return;
    const level = request.routeOptions.config.auth ?? SubjectRole.Admin;
    if (level === 'public') return;
    const principal = await authenticator.authenticate(request.headers.authorization);
    if (level === SubjectRole.Admin && !hasRole(principal, SubjectRole.Admin)) {
      throw new UnauthorizedError('this route needs the admin token');
    }
    requireRole(principal, level, `${request.method} ${request.routeOptions.url ?? request.url}`);
    request.principal = principal;
  };
}

/** The authenticated caller of a route that is not public. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError('this route needs a token');
  return request.principal;
}
