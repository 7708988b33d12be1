import { ErrorCode, FlError } from '@funless/protocol';

import { DEFAULT_MODULE } from '../../auth/index.js';
import { ClusterNotifier } from '../cluster-notifier.js';
import { toClusterFunction } from '../function-cache.js';
import { functionJson, moduleJson } from '../representations.js';
import { BadRequestError, isPlainObject, jsonObjectBody, onlyKeys, validName } from '../validation.js';
import type { RouteRegistrar } from './route-registrar.js';

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

/** Modules: list, create, show (with functions), rename, delete. */
export const moduleRoutes: RouteRegistrar = (app, { store, cluster, functions, logger }) => {
  const notify = new ClusterNotifier(cluster, logger);

  app.get('/v1/fn', async (_request, reply) => {
    const modules = await store.listModules();
    void reply.header('x-total-count', modules.length);
    return { data: modules.map(moduleJson) };
  });

  app.post('/v1/fn', async (request, reply) => {
    const name = moduleNameFromBody(jsonObjectBody(request, EXAMPLE));
    const module = await store.createModule(name);
    return reply.status(201).send({ data: moduleJson(module) });
  });

  app.get<{ Params: ModuleParams }>('/v1/fn/:mod', async (request) => {
    const name = validName('module name', request.params.mod);
    const module = await store.getModule(name);
    if (!module) throw new FlError(ErrorCode.NotFound, `module ${name} not found`);
    const fns = await store.listFunctions(name);
    return { data: { ...moduleJson(module), functions: fns.map(functionJson) } };
  });

  app.put<{ Params: ModuleParams }>('/v1/fn/:mod', async (request) => {
    const name = validName('module name', request.params.mod);
    const newName = moduleNameFromBody(jsonObjectBody(request, EXAMPLE));
    if (name === DEFAULT_MODULE && newName !== DEFAULT_MODULE) {
      throw new BadRequestError(`the default module ${DEFAULT_MODULE} cannot be renamed`);
    }
    const module = await store.renameModule(name, newName);
    if (newName !== name) {
      functions.invalidate();
      // Workers key code by (module, name, hash): the old references go, the new ones come.
      for (const fn of await store.listFunctions(newName)) {
        await notify.deleted({ ...toClusterFunction(fn), module: name });
        const withCode = await store.getFunctionWithCode(newName, fn.name);
        if (withCode) await notify.stored(withCode, false);
      }
      logger.info({ module: name, newName }, 'module renamed');
    }
    return { data: moduleJson(module) };
  });

  app.delete<{ Params: ModuleParams }>('/v1/fn/:mod', async (request, reply) => {
    const name = validName('module name', request.params.mod);
    if (name === DEFAULT_MODULE) {
      throw new BadRequestError(`the default module ${DEFAULT_MODULE} cannot be deleted`);
    }
    const deleted = await store.deleteModule(name);
    functions.invalidate();
    for (const fn of deleted) await notify.deleted(fn);
    return reply.status(204).send();
  });
};
