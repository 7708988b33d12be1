import { ErrorCode, FlError, SubjectRole } from '@funless/protocol';
import type { FastifyInstance } from 'fastify';

import { DEFAULT_MODULE } from '../../auth/index.js';
import type { AppContext } from '../app-context.js';
import { principalOf } from '../auth-hook.js';
import { ClusterNotifier } from '../cluster-notifier.js';
import { toClusterFunction } from '../to-cluster-function.js';
import { functionJson, moduleJson } from '../representations.js';
import {
  COMMON_ERRORS,
  TOTAL_COUNT,
  data,
  error,
  json,
  minRole,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import { BadRequestError, isPlainObject, jsonObjectBody, onlyKeys, validName } from '../validation.js';
import type { RouteModule } from './route-module.js';

interface ModuleParams {
  mod: string;
}

const EXAMPLE = '{"module":{"name":"my_module"}}';

function moduleNameFromBody(body: Record<string, unknown>): string {
  onlyKeys('the body', body, ['module']);
  const module = body.module;
  if (!isPlainObject(module)) throw new BadRequestError(`the body must be ${EXAMPLE}`);
  onlyKeys('module', module, ['name']);
  if (module.name === undefined) throw new BadRequestError(`module.name is missing: send ${EXAMPLE}`);
  return validName('module name', module.name);
}

const MOD = nameParam('mod', 'Module');

/** Modules: list, create, show (with functions), rename, delete. */
export const moduleRoutes: RouteModule = {
  paths: {
    '/v1/fn': {
      get: {
        summary: 'List modules',
        ...minRole(SubjectRole.Invoker),
        responses: {
          '200': {
            ...response('Modules', data({ type: 'array', items: ref('Module') })),
            headers: TOTAL_COUNT,
          },
          '401': COMMON_ERRORS['401'],
          '503': COMMON_ERRORS['503'],
        },
      },
      post: {
        summary: 'Create a module (owned by the caller)',
        ...minRole(SubjectRole.Developer),
        requestBody: { required: true, ...json(ref('ModuleRequest')) },
        responses: {
          '201': response('Created', data(ref('Module'))),
          ...COMMON_ERRORS,
          '409': error('A module with that name exists'),
          '415': error('Not a JSON body'),
        },
      },
    },
    '/v1/fn/{mod}': {
      get: {
        summary: 'Show a module with its functions',
        ...minRole(SubjectRole.Invoker),
        parameters: [MOD],
        responses: {
          '200': response('The module', data(ref('ModuleWithFunctions'))),
          ...COMMON_ERRORS,
          '404': error('No such module'),
        },
      },
      put: {
        summary: 'Rename a module (not `_`; its owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [MOD],
        requestBody: { required: true, ...json(ref('ModuleRequest')) },
        responses: {
          '200': response('Renamed', data(ref('Module'))),
          ...COMMON_ERRORS,
          '404': error('No such module'),
          '409': error('The new name is taken'),
          '415': error('Not a JSON body'),
        },
      },
      delete: {
        summary: 'Delete a module and its functions (not `_`; its owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [MOD],
        responses: { '204': response('Deleted'), ...COMMON_ERRORS, '404': error('No such module') },
      },
    },
  },
  schemas: {
    Module: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: ref('Name') },
    },
    ModuleRequest: {
      type: 'object',
      required: ['module'],
      additionalProperties: false,
      properties: { module: ref('Module') },
    },
    ModuleWithFunctions: {
      type: 'object',
      required: ['name', 'functions'],
      additionalProperties: false,
      properties: { name: ref('Name'), functions: { type: 'array', items: ref('Function') } },
    },
  },
  register,
};

/** The module `name`, or a 404. */
async function existingModule(store: AppContext['store'], name: string) {
  const module = await store.getModule(name);
  if (!module) throw new FlError(ErrorCode.NotFound, `module ${name} not found`);
  return module;
}

function register(app: FastifyInstance, { store, cluster, logger, access, connections }: AppContext): void {
  const notify = new ClusterNotifier(cluster, logger);

  app.get('/v1/fn', async (_request, reply) => {
    const modules = await store.listModules();
    void reply.header('x-total-count', modules.length);
    return { data: modules.map(moduleJson) };
  });

  app.post('/v1/fn', async (request, reply) => {
    const name = moduleNameFromBody(jsonObjectBody(request, EXAMPLE));
    const module = await store.createModule(name, principalOf(request).name);
    return reply.status(201).send({ data: moduleJson(module) });
  });

  app.get<{ Params: ModuleParams }>('/v1/fn/:mod', async (request) => {
    const name = validName('module name', request.params.mod);
    const module = await existingModule(store, name);
    const fns = await store.listFunctions(name);
    return { data: { ...moduleJson(module), functions: fns.map(functionJson) } };
  });

  app.put<{ Params: ModuleParams }>('/v1/fn/:mod', async (request) => {
    const name = validName('module name', request.params.mod);
    const newName = moduleNameFromBody(jsonObjectBody(request, EXAMPLE));
    if (name === DEFAULT_MODULE && newName !== DEFAULT_MODULE) {
      throw new BadRequestError(`the default module ${DEFAULT_MODULE} cannot be renamed`);
    }
    await access.requireModule(principalOf(request), await existingModule(store, name), 'rename it');
    const module = await store.renameModule(name, newName);
    if (newName !== name) {
      // Workers key code by (module, name, hash): the old references go, the new ones come.
      for (const fn of await store.listFunctions(newName)) {
        await notify.deleted({ ...toClusterFunction(fn), module: name });
        const withCode = await store.getFunctionWithCode(newName, fn.name);
        if (withCode) await notify.stored(withCode, false);
      }
      // Their events and sinks run under the new name from the next sync, which this one is.
      await connections.removeModule(name);
      await connections.sync();
      logger.info({ module: name, newName }, 'module renamed');
    }
    return { data: moduleJson(module) };
  });

  app.delete<{ Params: ModuleParams }>('/v1/fn/:mod', async (request, reply) => {
    const name = validName('module name', request.params.mod);
    if (name === DEFAULT_MODULE) {
      throw new BadRequestError(`the default module ${DEFAULT_MODULE} cannot be deleted`);
    }
    await access.requireModule(principalOf(request), await existingModule(store, name), 'delete it');
    const deleted = await store.deleteModule(name);
    for (const fn of deleted) await notify.deleted(fn);
    await connections.removeModule(name);
    return reply.status(204).send();
  });
}
