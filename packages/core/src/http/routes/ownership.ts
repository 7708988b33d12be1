import { ErrorCode, FlError, SubjectRole } from '@funless/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { DEFAULT_MODULE } from '../../auth/index.js';
import { ADMIN_SUBJECT, GrantKind } from '../../store/index.js';
import type { Store } from '../../store/index.js';
import type { AppContext } from '../app-context.js';
import {
  COMMON_ERRORS,
  NO_BODY,
  data,
  error,
  minRole,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import type { OpenApiObject, OpenApiPaths } from '../openapi/openapi-helpers.js';
import { BadRequestError, noBody, validName } from '../validation.js';
import type { RouteModule } from './route-module.js';

/** How each kind of grant appears in the API. */
const KINDS = {
  [GrantKind.Module]: {
    base: '/v1/admin/modules',
    param: 'mod',
    what: 'module',
    one: 'a module',
    schema: 'ModuleOwnership',
  },
  [GrantKind.AppScript]: {
    base: '/v1/admin/scripts/app',
    param: 'name',
    what: 'APP script',
    one: 'an APP script',
    schema: 'ScriptOwnership',
  },
} as const;

interface Ownership {
  name: string;
  /** Null for the shared module `_`. */
  owner: string | null;
  grants: string[];
  functions?: { name: string; owner: string }[];
}

async function ownership(store: Store, kind: GrantKind, name: string): Promise<Ownership> {
  const grants = await store.listGrants(kind, name);
  if (kind === GrantKind.AppScript) {
    const script = await store.getAppScript(name);
    if (!script) throw new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
    return { name, owner: script.owner, grants };
  }
  const module = await store.getModule(name);
  if (!module) throw new FlError(ErrorCode.NotFound, `module ${name} not found`);
  const functions = (await store.listFunctions(name)).map((fn) => ({ name: fn.name, owner: fn.owner }));
  return { name, owner: name === DEFAULT_MODULE ? null : module.owner, grants, functions };
}

/** The subject a grant would be for, refused when the grant could change nothing. */
async function grantee(store: Store, kind: GrantKind, name: string, subjectName: string): Promise<string> {
  const subject = await store.getSubject(subjectName);
  if (!subject) throw new FlError(ErrorCode.NotFound, `subject ${subjectName} not found`);
  if (subject.role === SubjectRole.Admin) {
    throw new BadRequestError(
      `${ADMIN_SUBJECT} may change every ${KINDS[kind].what} already: it needs no grant`,
    );
  }
  if (subject.role !== SubjectRole.Developer) {
    throw new BadRequestError(
      `${subjectName} has the ${subject.role} role, which changes nothing, so a grant would not let it: ` +
        `give it the ${SubjectRole.Developer} role first (PUT /v1/admin/subjects/${subjectName})`,
    );
  }
  const current = await ownership(store, kind, name);
  if (current.owner === subjectName) {
    throw new BadRequestError(`${subjectName} owns ${KINDS[kind].what} ${name}: it needs no grant`);
  }
  return subjectName;
}

function paths(kind: GrantKind): OpenApiPaths {
  const { base, param, what, one, schema } = KINDS[kind];
  const target = nameParam(param, what === 'module' ? 'Module' : 'Script');
  const subject = nameParam('subject', 'Subject');
  const admin = minRole(SubjectRole.Admin);
  return {
    [`${base}/{${param}}`]: {
      get: {
        summary: `Who owns ${one} and who else may change it (admin token)`,
        ...admin,
        parameters: [target],
        responses: {
          '200': response('Its owner and grants', data(ref(schema))),
          ...COMMON_ERRORS,
          '404': error(`No such ${what}`),
        },
      },
    },
    [`${base}/{${param}}/grants/{subject}`]: {
      put: {
        summary: `Let a developer change ${one} it does not own (admin token)`,
        ...admin,
        parameters: [target, subject],
        requestBody: NO_BODY,
        responses: {
          '200': response('The grant existed already', data(ref(schema))),
          '201': response('Granted', data(ref(schema))),
          ...COMMON_ERRORS,
          '400': error(
            'Invalid name, or a grant that would change nothing (the admin, an invoker, the owner)',
          ),
          '404': error(`No such ${what} or subject`),
        },
      },
      delete: {
        summary: 'Withdraw a grant (admin token)',
        ...admin,
        parameters: [target, subject],
        responses: {
          '204': response('Withdrawn'),
          ...COMMON_ERRORS,
          '404': error(`No such ${what}, or the subject has no grant on it`),
        },
      },
    },
  };
}

const OWNER = {
  description: 'The subject that created it; null for the module _, which every developer shares',
  oneOf: [ref('Name'), { type: 'null' }],
};
const GRANTS = { type: 'array', items: ref('Name'), description: 'Developers the admin let change it' };

const schemas: Record<string, OpenApiObject> = {
  ModuleOwnership: {
    type: 'object',
    required: ['name', 'owner', 'grants', 'functions'],
    additionalProperties: false,
    properties: {
      name: ref('Name'),
      owner: OWNER,
      grants: GRANTS,
      functions: {
        type: 'array',
        description: 'Who created each function: in _ that subject owns it',
        items: {
          type: 'object',
          required: ['name', 'owner'],
          additionalProperties: false,
          properties: { name: ref('Name'), owner: ref('Name') },
        },
      },
    },
  },
  ScriptOwnership: {
    type: 'object',
    required: ['name', 'owner', 'grants'],
    additionalProperties: false,
    properties: { name: ref('Name'), owner: ref('Name'), grants: GRANTS },
  },
};

interface GrantParams {
  mod?: string;
  name?: string;
  subject: string;
}

function register(app: FastifyInstance, { store }: AppContext): void {
  for (const kind of Object.values(GrantKind)) {
    const { base, param, what } = KINDS[kind];
    const targetOf = (request: FastifyRequest<{ Params: GrantParams }>): string =>
      validName(`${what} name`, request.params[param]);

    app.get<{ Params: GrantParams }>(`${base}/:${param}`, async (request) => ({
      data: await ownership(store, kind, targetOf(request)),
    }));

    app.put<{ Params: GrantParams }>(`${base}/:${param}/grants/:subject`, async (request, reply) => {
      const name = targetOf(request);
      const subject = validName('subject name', request.params.subject);
      noBody(request, 'a grant');
      const added = await store.addGrant(kind, name, await grantee(store, kind, name, subject));
      request.log.info({ [param]: name, subject }, `${what} granted`);
      return reply.status(added ? 201 : 200).send({ data: await ownership(store, kind, name) });
    });

    app.delete<{ Params: GrantParams }>(`${base}/:${param}/grants/:subject`, async (request, reply) => {
      const name = targetOf(request);
      const subject = validName('subject name', request.params.subject);
      await store.removeGrant(kind, name, subject);
      request.log.info({ [param]: name, subject }, `${what} grant withdrawn`);
      return reply.status(204).send();
    });
  }
}

/**
 * Ownership (admin token only): who owns a module or APP script, and the grants that let other
 * developers change it (docs/api.md, "Roles and ownership").
 */
export const ownershipRoutes: RouteModule = {
  paths: { ...paths(GrantKind.Module), ...paths(GrantKind.AppScript) },
  schemas,
  register,
};
