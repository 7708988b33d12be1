import type { FastifyReply, FastifyRequest } from 'fastify';

import { UnauthorizedError } from '../auth/index.js';
import type { Authenticator, Principal } from '../auth/index.js';
import { SubjectRole } from '../store/index.js';

/** Who may call a route: anyone, any subject (admin included), or the admin only. */
export type AuthLevel = 'public' | 'subject' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @default 'subject' */
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    /** The caller, once authenticated; undefined on public routes. */
    principal: Principal | undefined;
  }
}

/** An `onRequest` hook enforcing each route's `config.auth`. Unknown routes skip it (they are 404). */
export function createAuthHook(authenticator: Authenticator) {
  return async function authHook(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (request.is404) return;
    const level = request.routeOptions.config.auth ?? 'subject';
    if (level === 'public') return;
    const principal = await authenticator.authenticate(request.headers.authorization);
    if (level === 'admin' && principal.role !== SubjectRole.Admin) {
      throw new UnauthorizedError('this route needs the admin token');
    }
    request.principal = principal;
  };
}
