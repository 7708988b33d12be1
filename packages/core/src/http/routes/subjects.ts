import { ASSIGNABLE_ROLES, DEFAULT_SUBJECT_ROLE, ErrorCode, FlError, SubjectRole } from '@funless/protocol';
import type { FastifyInstance } from 'fastify';

import { generateToken, hashToken } from '../../auth/index.js';
import { ADMIN_SUBJECT } from '../../store/index.js';
import type { SubjectRecord } from '../../store/index.js';
import type { AppContext } from '../app-context.js';
import {
  COMMON_ERRORS,
  NO_BODY,
  TOTAL_COUNT,
  data,
  error,
  json,
  minRole,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import {
  BadRequestError,
  isPlainObject,
  jsonObjectBody,
  noBody,
  onlyKeys,
  quote,
  validName,
} from '../validation.js';
import type { RouteModule } from './route-module.js';

const EXAMPLE = '{"subject":{"name":"alice","role":"invoker"}}';
const ROLE_EXAMPLE = '{"subject":{"role":"invoker"}}';
const ROLE_LIST = ASSIGNABLE_ROLES.join(', ');

/** A role the admin may give a subject (docs/api.md, "Roles and ownership"). */
function parseRole(value: unknown): SubjectRole {
  if (value === SubjectRole.Admin) {
    throw new BadRequestError(
      `role ${SubjectRole.Admin} belongs to the ${ADMIN_SUBJECT} subject alone: give a subject one of ${ROLE_LIST}`,
    );
  }
  const role = ASSIGNABLE_ROLES.find((r) => r === value);
  if (role === undefined) {
    const shown = typeof value === 'string' ? quote(value) : JSON.stringify(value);
    throw new BadRequestError(`unknown role ${shown}: use one of ${ROLE_LIST}`);
  }
  return role;
}

function subjectJson(subject: SubjectRecord): { name: string; role: SubjectRole } {
  return { name: subject.name, role: subject.role };
}

function notAdmin(name: string, what: string): string {
  if (name === ADMIN_SUBJECT) {
    throw new BadRequestError(
      `the ${ADMIN_SUBJECT} subject cannot be ${what}: set its token with FL_ADMIN_TOKEN and restart the Core`,
    );
  }
  return name;
}

const SUBJECT = nameParam('name', 'Subject');

const ADMIN = minRole(SubjectRole.Admin);
const ROLE_SCHEMA = { enum: ASSIGNABLE_ROLES };

/**
 * Subjects (admin token only): list them with their roles, create one (token shown once), show
 * one, change its role, delete it, rotate its token.
 */
export const subjectRoutes: RouteModule = {
  paths: {
    '/v1/admin/subjects': {
      get: {
        summary: 'List subjects with their roles, no tokens (admin token)',
        ...ADMIN,
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
        summary: `Create a subject with a role (default ${DEFAULT_SUBJECT_ROLE}); its token is shown once (admin token)`,
        ...ADMIN,
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
      get: {
        summary: 'Show a subject and its role (admin token)',
        ...ADMIN,
        parameters: [SUBJECT],
        responses: {
          '200': response('The subject', data(ref('Subject'))),
          ...COMMON_ERRORS,
          '404': error('No such subject'),
        },
      },
      put: {
        summary: "Change a subject's role (admin token)",
        ...ADMIN,
        parameters: [SUBJECT],
        requestBody: { required: true, ...json(ref('SubjectRoleRequest')) },
        responses: {
          '200': response('The subject with its new role', data(ref('Subject'))),
          ...COMMON_ERRORS,
          '404': error('No such subject'),
          '415': error('Not a JSON body'),
        },
      },
      delete: {
        summary: 'Delete a subject; what it owned passes to the admin (admin token)',
        ...ADMIN,
        parameters: [SUBJECT],
        responses: { '204': response('Deleted'), ...COMMON_ERRORS, '404': error('No such subject') },
      },
    },
    '/v1/admin/subjects/{name}/token': {
      post: {
        summary: 'Rotate a subject token: the old one stops working (admin token)',
        ...ADMIN,
        parameters: [SUBJECT],
        requestBody: NO_BODY,
        responses: {
          '200': response('The new token, shown once', data(ref('SubjectToken'))),
          ...COMMON_ERRORS,
          '404': error('No such subject'),
        },
      },
    },
  },
  schemas: {
    Role: {
      enum: Object.values(SubjectRole),
      description: 'invoker: read and invoke functions; developer: also manage its own; admin: everything',
    },
    Subject: {
      type: 'object',
      required: ['name', 'role'],
      additionalProperties: false,
      properties: { name: ref('Name'), role: ref('Role') },
    },
    SubjectRequest: {
      type: 'object',
      required: ['subject'],
      additionalProperties: false,
      properties: {
        subject: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: ref('Name'),
            role: { ...ROLE_SCHEMA, default: DEFAULT_SUBJECT_ROLE },
          },
        },
      },
    },
    SubjectRoleRequest: {
      type: 'object',
      required: ['subject'],
      additionalProperties: false,
      properties: {
        subject: {
          type: 'object',
          required: ['role'],
          additionalProperties: false,
          properties: { role: ROLE_SCHEMA },
        },
      },
    },
    SubjectToken: {
      type: 'object',
      required: ['name', 'role', 'token'],
      additionalProperties: false,
      properties: { name: ref('Name'), role: ref('Role'), token: { type: 'string', minLength: 32 } },
    },
  },
  register,
};

function register(app: FastifyInstance, { store }: AppContext): void {
  app.get('/v1/admin/subjects', async (_request, reply) => {
    const subjects = (await store.listSubjects()).filter((s) => s.role !== SubjectRole.Admin);
    void reply.header('x-total-count', subjects.length);
    return { data: subjects.map(subjectJson) };
  });

  app.post('/v1/admin/subjects', async (request, reply) => {
    const body = jsonObjectBody(request, EXAMPLE);
    onlyKeys('the body', body, ['subject']);
    if (!isPlainObject(body.subject)) throw new BadRequestError(`the body must be ${EXAMPLE}`);
    onlyKeys('subject', body.subject, ['name', 'role']);
    if (body.subject.name === undefined)
      throw new BadRequestError(`subject.name is missing: send ${EXAMPLE}`);
    const name = validName('subject name', body.subject.name);
    const role = body.subject.role === undefined ? DEFAULT_SUBJECT_ROLE : parseRole(body.subject.role);
    const token = generateToken();
    const subject = await store.createSubject(name, role, hashToken(token));
    return reply.status(201).send({ data: { ...subjectJson(subject), token } });
  });

  app.get<{ Params: { name: string } }>('/v1/admin/subjects/:name', async (request) => {
    const name = validName('subject name', request.params.name);
    const subject = await store.getSubject(name);
    if (!subject) throw new FlError(ErrorCode.NotFound, `subject ${name} not found`);
    return { data: subjectJson(subject) };
  });

  app.put<{ Params: { name: string } }>('/v1/admin/subjects/:name', async (request) => {
    const name = validName('subject name', request.params.name);
    const body = jsonObjectBody(request, ROLE_EXAMPLE);
    onlyKeys('the body', body, ['subject']);
    if (!isPlainObject(body.subject)) throw new BadRequestError(`the body must be ${ROLE_EXAMPLE}`);
    onlyKeys('subject', body.subject, ['role']);
    if (body.subject.role === undefined)
      throw new BadRequestError(`subject.role is missing: send ${ROLE_EXAMPLE}`);
    const role = parseRole(body.subject.role);
    notAdmin(name, 'given another role');
    const subject = await store.setSubjectRole(name, role);
    return { data: subjectJson(subject) };
  });

  app.delete<{ Params: { name: string } }>('/v1/admin/subjects/:name', async (request, reply) => {
    const name = notAdmin(validName('subject name', request.params.name), 'deleted');
    await store.deleteSubject(name);
    return reply.status(204).send();
  });

  app.post<{ Params: { name: string } }>('/v1/admin/subjects/:name/token', async (request) => {
    const name = notAdmin(validName('subject name', request.params.name), 'rotated through the API');
    noBody(request, 'rotating a token');
    const token = generateToken();
    const subject = await store.setSubjectTokenHash(name, hashToken(token));
    return { data: { ...subjectJson(subject), token } };
  });
}
