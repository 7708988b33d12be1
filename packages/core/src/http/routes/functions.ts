import {
  ErrorCode,
  FlError,
  MAX_CAPACITY_MIB,
  NAME_MAX_LENGTH,
  SubjectRole,
  validateFunction,
} from '@funless/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';

import type { PushReport } from '../../cluster/index.js';
import type { FunctionPatch, FunctionRecord } from '../../store/index.js';
import type { AppContext } from '../app-context.js';
import { principalOf } from '../auth-hook.js';
import { ClusterNotifier } from '../cluster-notifier.js';
import {
  ConnectionStatus,
  TAG_PATTERN,
  parseConnections,
  parseMetadata,
  parseWaitForWorkers,
  summarizeConnections,
  withConnectResults,
} from '../function-input.js';
import { ConnectionPhase } from '../../connections/index.js';
import type { ConnectionManager, ConnectionView, EntryResult } from '../../subscriptions/index.js';
import { redactedParams } from '../../subscriptions/index.js';
import type { ParsedConnections } from '../function-input.js';
import { readMultipart } from '../multipart.js';
import {
  COMMON_ERRORS,
  data,
  error,
  jsonField,
  minRole,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import type { OpenApiObject } from '../openapi/openapi-helpers.js';
import { functionJson } from '../representations.js';
import { BadRequestError, validName } from '../validation.js';
import type { RouteModule } from './route-module.js';

interface FunctionParams {
  mod: string;
  fn: string;
}

const PARTS = ['name', 'code', 'metadata', 'events', 'sinks', 'wait_for_workers'] as const;
/** The parts an update changes the function with: it needs at least one. */
const CHANGE_PARTS = PARTS.filter((p) => p !== 'wait_for_workers');
const CREATE_EXAMPLE =
  'name, code (the .wasm file), and optionally metadata, events, sinks, wait_for_workers';
const UPDATE_EXAMPLE = 'any of name, code, metadata, events, sinks, and optionally wait_for_workers';

/** Answers a create or update: 207 when an event or sink could not be connected. */
function sendFunction(
  reply: FastifyReply,
  okStatus: number,
  fn: FunctionRecord,
  push: PushReport,
  events: ParsedConnections | undefined,
  sinks: ParsedConnections | undefined,
  connected: { events: EntryResult[]; sinks: EntryResult[] },
): FastifyReply {
  const data: Record<string, unknown> = { ...functionJson(fn) };
  let partial = false;
  for (const [key, parsed] of [
    ['events', events],
    ['sinks', sinks],
  ] as const) {
    if (!parsed) continue;
    const results = withConnectResults(parsed, connected[key]);
    data[key] = results;
    data[`${key}_metadata`] = summarizeConnections(results);
    if (results.some((r) => r.status === ConnectionStatus.Error)) partial = true;
  }
  if (push.missing.length > 0) data.missing_workers = push.missing;
  return reply.status(partial ? 207 : okStatus).send({ data });
}

const MOD = nameParam('mod', 'Module');
const FN = nameParam('fn', 'Function');

/** The metadata of a function: the limits are the ones `parseMetadata` enforces. */
const METADATA_FIELDS = {
  tag: {
    type: 'string',
    minLength: 1,
    maxLength: NAME_MAX_LENGTH,
    pattern: TAG_PATTERN.source,
    description: 'Free text without control characters; APP scripts place by it',
  },
  capacity: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_CAPACITY_MIB,
    description: 'Memory for one invocation, in MiB',
  },
};

const CONNECTIONS = { type: 'array', description: 'Entries like {"type": "mqtt", "params": {...}}' };

/** The multipart form of a create or an update: one schema per part the routes read. */
const UPLOAD_PARTS: Record<(typeof PARTS)[number], OpenApiObject> = {
  name: ref('Name'),
  code: { type: 'string', contentMediaType: 'application/wasm', description: 'The .wasm binary' },
  metadata: jsonField(
    'JSON: {"tag": string, "capacity": MiB}; both optional',
    { type: 'object', additionalProperties: false, properties: METADATA_FIELDS },
    '{"tag":"default","capacity":64}',
  ),
  events: jsonField('JSON array of {"type","params"}; a malformed entry is a per-item error', CONNECTIONS),
  sinks: jsonField('JSON array of {"type","params"}; a malformed entry is a per-item error', CONNECTIONS),
  wait_for_workers: { type: 'string', enum: ['true', 'false'], default: 'true' },
};

const functionUpload = (schema: OpenApiObject): OpenApiObject => ({
  required: true,
  content: {
    'multipart/form-data': {
      schema: { type: 'object', additionalProperties: false, properties: UPLOAD_PARTS, ...schema },
    },
  },
});

/** Functions: create and update (multipart), show, delete. */
export const functionRoutes: RouteModule = {
  paths: {
    '/v1/fn/{mod}': {
      post: {
        summary:
          'Create a function (multipart upload; in `_` any developer, else the module owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [MOD],
        requestBody: functionUpload({ required: ['name', 'code'] }),
        responses: {
          '201': response('Created', data(ref('FunctionChange'))),
          '207': response(
            'Created, but some events or sinks could not be connected',
            data(ref('FunctionChange')),
          ),
          ...COMMON_ERRORS,
          '404': error('No such module'),
          '409': error('A function with that name exists in the module'),
          '415': error('Not a multipart body'),
        },
      },
    },
    '/v1/fn/{mod}/{fn}': {
      get: {
        summary: 'Show a function',
        ...minRole(SubjectRole.Invoker),
        parameters: [MOD, FN],
        responses: {
          '200': response('The function', data(ref('FunctionDetail'))),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
        },
      },
      put: {
        summary:
          'Update code, name, metadata, events or sinks (multipart; the owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [MOD, FN],
        requestBody: functionUpload({ anyOf: CHANGE_PARTS.map((part) => ({ required: [part] })) }),
        responses: {
          '200': response('Updated', data(ref('FunctionChange'))),
          '207': response(
            'Updated, but some events or sinks could not be connected',
            data(ref('FunctionChange')),
          ),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
          '409': error('The new name is taken'),
          '415': error('Not a multipart body'),
        },
      },
      delete: {
        summary: 'Delete a function (the owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [MOD, FN],
        responses: {
          '204': response('Deleted'),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
        },
      },
    },
  },
  schemas: {
    Metadata: {
      type: 'object',
      required: ['tag', 'capacity'],
      additionalProperties: false,
      properties: METADATA_FIELDS,
    },
    FunctionFields: {
      type: 'object',
      required: ['name', 'module', 'hash', 'size', 'metadata', 'created_at', 'updated_at'],
      properties: {
        name: ref('Name'),
        module: ref('Name'),
        hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the code' },
        size: { type: 'integer', minimum: 1, description: 'Code size in bytes' },
        metadata: ref('Metadata'),
        created_at: { type: 'string', format: 'date-time' },
        updated_at: { type: 'string', format: 'date-time' },
      },
    },
    Function: { $ref: '#/components/schemas/FunctionFields', unevaluatedProperties: false },
    FunctionDetail: {
      $ref: '#/components/schemas/FunctionFields',
      required: ['events', 'sinks'],
      properties: {
        events: { type: 'array', items: ref('ConnectionView') },
        sinks: { type: 'array', items: ref('ConnectionView') },
      },
      unevaluatedProperties: false,
    },
    ConnectionView: {
      type: 'object',
      description:
        'An event or sink with its state on the Core that answers (docs/api.md, "Events and sinks")',
      required: ['type', 'params', 'state', 'counters'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', minLength: 1 },
        params: {
          type: 'object',
          description: 'As stored; passwords, header values and URL passwords shown as ***',
        },
        state: { enum: Object.values(ConnectionPhase) },
        last_error: { type: 'string', description: 'Why the last attempt (to connect or deliver) failed' },
        next_attempt_at: {
          type: 'string',
          format: 'date-time',
          description: 'When retrying: the next attempt',
        },
        counters: {
          type: 'object',
          description:
            'Since this Core started. Events: messages_received, invocations_started, messages_dropped; sinks: results_delivered, delivery_failures',
          additionalProperties: { type: 'integer', minimum: 0 },
        },
      },
    },
    FunctionChange: {
      $ref: '#/components/schemas/FunctionFields',
      properties: {
        events: { type: 'array', items: ref('ConnectionResult') },
        events_metadata: ref('ConnectionSummary'),
        sinks: { type: 'array', items: ref('ConnectionResult') },
        sinks_metadata: ref('ConnectionSummary'),
        missing_workers: {
          type: 'array',
          description: 'Workers that did not acknowledge the code in time',
          items: {
            type: 'object',
            required: ['worker', 'reason'],
            additionalProperties: false,
            properties: { worker: { type: 'string' }, reason: { type: 'string' } },
          },
        },
      },
      unevaluatedProperties: false,
    },
    ConnectionRequest: {
      type: 'object',
      required: ['type', 'params'],
      additionalProperties: false,
      properties: { type: { type: 'string', minLength: 1 }, params: { type: 'object' } },
    },
    ConnectionResult: {
      type: 'object',
      required: ['status'],
      additionalProperties: false,
      properties: {
        status: { enum: Object.values(ConnectionStatus) },
        message: { type: 'string' },
      },
    },
    ConnectionSummary: {
      type: 'object',
      required: ['successful', 'failed', 'total'],
      additionalProperties: false,
      properties: {
        successful: { type: 'integer', minimum: 0 },
        failed: { type: 'integer', minimum: 0 },
        total: { type: 'integer', minimum: 0 },
      },
    },
  },
  register,
};

function notFound(module: string, name?: string): FlError {
  return new FlError(
    ErrorCode.NotFound,
    name === undefined ? `module ${module} not found` : `function ${module}/${name} not found`,
  );
}

/** The function's events and sinks with their state on this Core (docs/api.md, "Events and sinks"). */
function connectionViews(
  connections: ConnectionManager,
  fn: FunctionRecord,
): { events: ConnectionView[]; sinks: ConnectionView[] } {
  const running = connections.view(fn.module, fn.name);
  if (running) return running;
  // Not picked up yet (stored by another Core a moment ago): shown as connecting.
  const pending = (r: FunctionRecord['events'][number]): ConnectionView => ({
    type: r.type,
    params: redactedParams(r.params),
    state: ConnectionPhase.Connecting,
    counters: {},
  });
  return { events: fn.events.map(pending), sinks: fn.sinks.map(pending) };
}

function register(app: FastifyInstance, { store, cluster, logger, access, connections }: AppContext): void {
  const notify = new ClusterNotifier(cluster, logger);

  app.post<{ Params: { mod: string } }>('/v1/fn/:mod', async (request, reply) => {
    const module = validName('module name', request.params.mod);
    const principal = principalOf(request);
    // Before the upload is read: a subject that may not add functions here is refused at once.
    const target = await store.getModule(module);
    if (target) await access.requireModule(principal, target, 'add functions to it');
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

    const found = target ?? (await store.getModule(module));
    if (!found) throw notFound(module);
    // Created while the upload arrived: checked now.
    if (!target) await access.requireModule(principal, found, 'add functions to it');
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
      owner: principal.name,
    });
    const push = await notify.stored({ ...fn, code }, wait);
    const connected = await connections.apply(fn);
    request.log.info({ module, function: name, hash: fn.hash, size: fn.size }, 'function created');
    return sendFunction(reply, 201, fn, push, events, sinks, connected);
  });

  app.get<{ Params: FunctionParams }>('/v1/fn/:mod/:fn', async (request) => {
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    const fn = await store.getFunction(module, name);
    if (!fn) throw (await store.getModule(module)) ? notFound(module, name) : notFound(module);
    return { data: { ...functionJson(fn), ...connectionViews(connections, fn) } };
  });

  app.put<{ Params: FunctionParams }>('/v1/fn/:mod/:fn', async (request, reply) => {
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    // Before the upload is read, as on create.
    const principal = principalOf(request);
    const target = await store.getModule(module);
    const current = target && (await store.getFunction(module, name));
    if (target && current) await access.requireFunction(principal, target, current, 'update it');
    const parts = await readMultipart(request, PARTS, UPDATE_EXAMPLE);
    if (!CHANGE_PARTS.some((p) => parts.has(p))) {
      throw new BadRequestError(`nothing to update: send ${UPDATE_EXAMPLE}`);
    }
    const existing = await store.getFunctionWithCode(module, name);
    const found = target ?? (await store.getModule(module));
    if (!existing) throw found ? notFound(module, name) : notFound(module);
    // Created while the upload arrived: checked now.
    if (!current && found) await access.requireFunction(principal, found, existing, 'update it');
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
    if (fn.name !== existing.name || fn.hash !== existing.hash) await notify.deleted(existing);
    const push = await notify.stored({ ...fn, code: patch.code ?? existing.code }, wait);
    // Entries that did not change keep running; the others are replaced.
    const connected = await connections.apply(fn, name);
    request.log.info({ module, function: name, newName: fn.name, hash: fn.hash }, 'function updated');
    return sendFunction(reply, 200, fn, push, events, sinks, connected);
  });

  app.delete<{ Params: FunctionParams }>('/v1/fn/:mod/:fn', async (request, reply) => {
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    const target = await store.getModule(module);
    if (!target) throw notFound(module);
    const current = await store.getFunction(module, name);
    if (!current) throw notFound(module, name);
    await access.requireFunction(principalOf(request), target, current, 'delete it');
    const fn = await store.deleteFunction(module, name);
    await notify.deleted(fn);
    await connections.remove(module, name);
    return reply.status(204).send();
  });
}
