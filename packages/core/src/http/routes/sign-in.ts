import { SubjectRole } from '@funless/protocol';

import { SIGN_IN_CODE_LIMITS, UnauthorizedError, bearerToken } from '../../auth/index.js';
import {
  COMMON_ERRORS,
  NO_BODY,
  data,
  error,
  json,
  minRole,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import { jsonObjectBody, noBody, onlyKeys } from '../validation.js';
import { BadRequestError } from '../validation.js';
import type { RouteModule } from './route-module.js';

const CODE_EXAMPLE = '{"code": "<the code of the sign-in link>"}';

/**
 * One-time sign-in codes for the web console (docs/console.md, "Signing in"): `fl ui` makes one
 * with its token and prints a link carrying it in the URL fragment; the console exchanges it,
 * once and within a minute, for that token.
 */
export const signInRoutes: RouteModule = {
  paths: {
    '/v1/sign-in/codes': {
      post: {
        summary: `A one-time code standing for the caller's token for ${SIGN_IN_CODE_LIMITS.ttlMs / 1000} s (what fl ui puts in its link)`,
        ...minRole(SubjectRole.Invoker),
        requestBody: NO_BODY,
        responses: {
          '201': response('The code, to be exchanged once before it expires', data(ref('SignInCode'))),
          '401': COMMON_ERRORS['401'],
        },
      },
    },
    '/v1/sign-in': {
      post: {
        summary: 'Exchange a one-time sign-in code for the token it stands for (no token needed)',
        security: [],
        requestBody: { required: true, ...json(ref('SignInRequest')) },
        responses: {
          '200': response('The token the code stood for; the code is used up', data(ref('SignInToken'))),
          '400': error('No code, or an unknown field'),
          '401': error('The code is unknown, used or expired'),
        },
      },
    },
  },
  schemas: {
    SignInCode: {
      type: 'object',
      required: ['code', 'expires_at'],
      additionalProperties: false,
      properties: {
        code: { type: 'string', minLength: 43, maxLength: 43, description: '32 random bytes, base64url' },
        expires_at: { type: 'string', format: 'date-time' },
      },
    },
    SignInRequest: {
      type: 'object',
      required: ['code'],
      additionalProperties: false,
      properties: { code: { type: 'string', minLength: 1 } },
    },
    SignInToken: {
      type: 'object',
      required: ['token'],
      additionalProperties: false,
      properties: { token: { type: 'string', minLength: 1 } },
    },
  },
  register(app, { signInCodes }) {
    app.post('/v1/sign-in/codes', (request, reply) => {
      noBody(request, 'making a sign-in code');
      const issued = signInCodes.issue(bearerToken(request.headers.authorization));
      return reply
        .status(201)
        .send({ data: { code: issued.code, expires_at: issued.expiresAt.toISOString() } });
    });
    app.post('/v1/sign-in', (request) => {
      const body = jsonObjectBody(request, CODE_EXAMPLE);
      onlyKeys('the body', body, ['code']);
      if (typeof body.code !== 'string' || body.code === '') {
        throw new BadRequestError(`code must be a non-empty string, like ${CODE_EXAMPLE}`);
      }
      const token = signInCodes.redeem(body.code);
      if (token === undefined) {
        throw new UnauthorizedError(
          `this sign-in code is unknown, used or expired: a code works once, within ${SIGN_IN_CODE_LIMITS.ttlMs / 1000} s of fl ui, on the Core that made it; run fl ui again`,
        );
      }
      return { data: { token } };
    });
  },
};
