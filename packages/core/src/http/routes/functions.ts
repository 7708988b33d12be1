import { ErrorCode, FlError, validateFunction } from '@funless/protocol';
import type { FastifyReply } from 'fastify';

import type { PushReport } from '../../cluster/index.js';
import type { FunctionPatch, FunctionRecord } from '../../store/index.js';
import { ClusterNotifier } from '../cluster-notifier.js';
import { parseConnections, parseMetadata, parseWaitForWorkers } from '../function-input.js';
import type { ConnectionResult, ParsedConnections } from '../function-input.js';
import { readMultipart } from '../multipart.js';
import { functionJson } from '../representations.js';
import { BadRequestError, validName } from '../validation.js';
import type { RouteRegistrar } from './route-registrar.js';

interface FunctionParams {
  mod: string;
  fn: string;
}

const PARTS = ['name', 'code', 'metadata', 'events', 'sinks', 'wait_for_workers'] as const;
const CREATE_EXAMPLE =
  'name, code (the .wasm file), and optionally metadata, events, sinks, wait_for_workers';
const UPDATE_EXAMPLE = 'any of name, code, metadata, events, sinks, and optionally wait_for_workers';

function summary(results: ConnectionResult[]): { successful: number; failed: number; total: number } {
  const successful = results.filter((r) => r.status === 'ok').length;
  return { successful, failed: results.length - successful, total: results.length };
}

/** Answers a create or update: 207 when an event or sink could not be connected. */
function sendFunction(
  reply: FastifyReply,
  okStatus: number,
  fn: FunctionRecord,
  push: PushReport,
  events: ParsedConnections | undefined,
  sinks: ParsedConnections | undefined,
): FastifyReply {
  const data: Record<string, unknown> = { ...functionJson(fn) };
  let partial = false;
  for (const [key, parsed] of [
    ['events', events],
    ['sinks', sinks],
  ] as const) {
    if (!parsed) continue;
    data[key] = parsed.results;
    data[`${key}_metadata`] = summary(parsed.results);
    if (parsed.results.some((r) => r.status === 'error')) partial = true;
  }
  if (push.missing.length > 0) data.missing_workers = push.missing;
  return reply.status(partial ? 207 : okStatus).send({ data });
}

/** Functions: create and update (multipart), show, delete. */
export const functionRoutes: RouteRegistrar = (app, { store, cluster, functions, logger }) => {
  const notify = new ClusterNotifier(cluster, logger);

  app.post<{ Params: { mod: string } }>('/v1/fn/:mod', async (request, reply) => {
    const module = validName('module name', request.params.mod);
    const parts = await readMultipart(request, PARTS, CREATE_EXAMPLE);
    const rawName = parts.get('name');
    if (rawName === undefined) throw new BadRequestError('missing multipart part "name" (the function name)');
    const name = validName('function name', rawName.toString('utf8'));
    const code = parts.get('code');
    if (code === undefined) throw new BadRequestError('missing multipart part "code" (the .wasm file)');
    const rawMetadata = parts.get('metadata');
    const metadata =
      rawMetadata === undefined ? parseMetadata(Buffer.from('{}')) : parseMetadata(rawMetadata);
    const rawEvents = parts.get('events');
    const rawSinks = parts.get('sinks');
    const events = rawEvents && parseConnections('events', rawEvents);
    const sinks = rawSinks && parseConnections('sinks', rawSinks);
    const wait = parseWaitForWorkers(parts.get('wait_for_workers'));

    if (!(await store.getModule(module))) throw new FlError(ErrorCode.NotFound, `module ${module} not found`);
    if (await store.getFunction(module, name)) {
      throw new FlError(ErrorCode.Conflict, `function ${module}/${name} already exists`);
    }
    await validateFunction(code, metadata.capacityMiB);
    const fn = await store.createFunction({
      module,
      name,
      code,
      metadata,
      events: events?.requests ?? [],
      sinks: sinks?.requests ?? [],
    });
    functions.invalidate();
    const push = await notify.stored({ ...fn, code }, wait);
    request.log.info({ module, function: name, hash: fn.hash, size: fn.size }, 'function created');
    return sendFunction(reply, 201, fn, push, events, sinks);
  });

  app.get<{ Params: FunctionParams }>('/v1/fn/:mod/:fn', async (request) => {
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    const fn = await store.getFunction(module, name);
    if (!fn) {
      if (!(await store.getModule(module)))
        throw new FlError(ErrorCode.NotFound, `module ${module} not found`);
      throw new FlError(ErrorCode.NotFound, `function ${module}/${name} not found`);
    }
    return { data: { ...functionJson(fn), events: fn.events, sinks: fn.sinks } };
  });

  app.put<{ Params: FunctionParams }>('/v1/fn/:mod/:fn', async (request, reply) => {
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    const parts = await readMultipart(request, PARTS, UPDATE_EXAMPLE);
    if (!['name', 'code', 'metadata', 'events', 'sinks'].some((p) => parts.has(p))) {
      throw new BadRequestError(`nothing to update: send ${UPDATE_EXAMPLE}`);
    }
    const existing = await store.getFunctionWithCode(module, name);
    if (!existing) {
      if (!(await store.getModule(module)))
        throw new FlError(ErrorCode.NotFound, `module ${module} not found`);
      throw new FlError(ErrorCode.NotFound, `function ${module}/${name} not found`);
    }
    const patch: FunctionPatch = {};
    const rawName = parts.get('name');
    if (rawName !== undefined) patch.name = validName('function name', rawName.toString('utf8'));
    const rawMetadata = parts.get('metadata');
    if (rawMetadata !== undefined) patch.metadata = parseMetadata(rawMetadata, existing.metadata);
    const rawEvents = parts.get('events');
    const rawSinks = parts.get('sinks');
    const events = rawEvents && parseConnections('events', rawEvents);
    const sinks = rawSinks && parseConnections('sinks', rawSinks);
    if (events) patch.events = events.requests;
    if (sinks) patch.sinks = sinks.requests;
    const wait = parseWaitForWorkers(parts.get('wait_for_workers'));
    patch.code = parts.get('code');
    if (patch.code === undefined) delete patch.code;
    if (patch.name !== undefined && patch.name !== name && (await store.getFunction(module, patch.name))) {
      throw new FlError(ErrorCode.Conflict, `function ${module}/${patch.name} already exists`);
    }
    if (patch.code !== undefined || patch.metadata !== undefined) {
      // A smaller capacity must still hold the stored code's minimum memory.
      await validateFunction(patch.code ?? existing.code, (patch.metadata ?? existing.metadata).capacityMiB);
    }
    const fn = await store.updateFunction(module, name, patch);
    functions.invalidate();
    if (fn.name !== existing.name || fn.hash !== existing.hash) await notify.deleted(existing);
    const push = await notify.stored({ ...fn, code: patch.code ?? existing.code }, wait);
    request.log.info({ module, function: name, newName: fn.name, hash: fn.hash }, 'function updated');
    return sendFunction(reply, 200, fn, push, events, sinks);
  });

  app.delete<{ Params: FunctionParams }>('/v1/fn/:mod/:fn', async (request, reply) => {
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    const fn = await store.deleteFunction(module, name);
    functions.invalidate();
    await notify.deleted(fn);
    return reply.status(204).send();
  });
};
