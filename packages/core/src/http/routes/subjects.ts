import type { FastifyInstance } from 'fastify';

import { ADMIN_SUBJECT, generateToken, hashToken } from '../../auth/index.js';
import { SubjectRole } from '../../store/index.js';
import type { AppContext } from '../app-context.js';
import {
  COMMON_ERRORS,
  TOTAL_COUNT,
  data,
  error,
  json,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import { BadRequestError, isPlainObject, jsonObjectBody, onlyKeys, validName } from '../validation.js';
import type { RouteModule } from './route-module.js';

const EXAMPLE = '{"subject":{"name":"alice"}}';
const ADMIN_ONLY = { config: { auth: 'admin' as const } };

function notAdmin(name: string, what: string): string {
  if (name === ADMIN_SUBJECT) {
    throw new BadRequestError(
      `the ${ADMIN_SUBJECT} subject cannot be ${what}: set its token with FL_ADMIN_TOKEN and restart the Core`,
    );
  }
  return name;
}

const SUBJECT = nameParam('name', 'Subject');

/** Subjects (admin token only): list names, create (token shown once), delete, rotate a token. */
export const subjectRoutes: RouteModule = {
  paths: {
    '/v1/admin/subjects': {
      get: {
        summary: 'List subjects (names only; admin token)',
        responses: {
          '200': {
            ...response('Subjects', data({ type: 'array', items: ref('Subject') })),
            headers: TOTAL_COUNT,
          },
          '401': COMMON_ERRORS['401'],
          '503': COMMON_ERRORS['503'],
        },
      },
      post: {
        summary: 'Create a subject; its token is shown once (admin token)',
        requestBody: { required: true, ...json(ref('SubjectRequest')) },
        responses: {
          '201': response('Created', data(ref('SubjectToken'))),
          ...COMMON_ERRORS,
          '409': error('A subject with that name exists'),
          '415': error('Not a JSON body'),
        },
      },
    },
    '/v1/admin/subjects/{name}': {
      delete: {
        summary: 'Delete a subject (admin token)',
        parameters: [SUBJECT],
        responses: { '204': response('Deleted'), ...COMMON_ERRORS, '404': error('No such subject') },
      },
    },
    '/v1/admin/subjects/{name}/token': {
      post: {
        summary: 'Rotate a subject token: the old one stops working (admin token)',
        parameters: [SUBJECT],
        requestBody: {
          required: false,
          ...json({ type: 'object', maxProperties: 0, description: 'No body, or an empty object' }),
        },
        responses: {
          '200': response('The new token, shown once', data(ref('SubjectToken'))),
          ...COMMON_ERRORS,
          '404': error('No such subject'),
        },
      },
    },
  },
  schemas: {
    Subject: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: ref('Name') },
    },
    SubjectRequest: {
      type: 'object',
      required: ['subject'],
      additionalProperties: false,
      properties: { subject: ref('Subject') },
    },
    SubjectToken: {
      type: 'object',
      required: ['name', 'token'],
      additionalProperties: false,
      properties: { name: ref('Name'), token: { type: 'string', minLength: 32 } },
    },
  },
  register,
};

function register(app: FastifyInstance, { store, authenticator }: AppContext): void {
  app.get('/v1/admin/subjects', ADMIN_ONLY, async (_request, reply) => {
    const subjects = (await store.listSubjects()).filter((s) => s.role !== SubjectRole.Admin);
    void reply.header('x-total-count', subjects.length);
    return { data: subjects.map((s) => ({ name: s.name })) };
  });

  app.post('/v1/admin/subjects', ADMIN_ONLY, async (request, reply) => {
    const body = jsonObjectBody(request, EXAMPLE);
    onlyKeys('the body', body, ['subject']);
    if (!isPlainObject(body.subject)) throw new BadRequestError(`the body must be ${EXAMPLE}`);
    onlyKeys('subject', body.subject, ['name']);
    if (body.subject.name === undefined)
      throw new BadRequestError(`subject.name is missing: send ${EXAMPLE}`);
    const name = validName('subject name', body.subject.name);
    const token = generateToken();
    await store.createSubject(name, SubjectRole.Subject, hashToken(token));
    authenticator.invalidate();
    return reply.status(201).send({ data: { name, token } });
  });

  app.delete<{ Params: { name: string } }>('/v1/admin/subjects/:name', ADMIN_ONLY, async (request, reply) => {
    const name = notAdmin(validName('subject name', request.params.name), 'deleted');
    await store.deleteSubject(name);
    authenticator.invalidate();
    return reply.status(204).send();
  });

  app.post<{ Params: { name: string } }>('/v1/admin/subjects/:name/token', ADMIN_ONLY, async (request) => {
    const name = notAdmin(validName('subject name', request.params.name), 'rotated through the API');
    const body = request.body;
    if (body !== undefined && !(isPlainObject(body) && Object.keys(body).length === 0)) {
      throw new BadRequestError('rotating a token takes no body (or an empty JSON object)');
    }
    const token = generateToken();
    await store.setSubjectTokenHash(name, hashToken(token));
    authenticator.invalidate();
    return { data: { name, token } };
  });
}
