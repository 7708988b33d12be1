import { NAME_MAX_LENGTH } from '@funless/protocol';

import { ConnectionStatus } from '../function-input.js';
import { SCRIPT_PATHS, SCRIPT_SCHEMAS } from './scripts-openapi.js';

/**
 * The OpenAPI 3.1 description of the REST API, served at `GET /v1/openapi.json`. The tests check
 * every response they get against it, so it stays true: change it with the routes.
 */

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown): { content: { 'application/json': { schema: unknown } } } => ({
  content: { 'application/json': { schema } },
});
const response = (description: string, schema?: unknown): Record<string, unknown> =>
  schema === undefined ? { description } : { description, ...json(schema) };
const error = (description: string): Record<string, unknown> => response(description, ref('Error'));
const data = (schema: unknown): Record<string, unknown> => ({
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: { data: schema },
});

const nameParam = (name: string, what: string): Record<string, unknown> => ({
  name,
  in: 'path',
  required: true,
  description: `${what} name`,
  schema: { $ref: '#/components/schemas/Name' },
});
const MOD = nameParam('mod', 'Module');
const FN = nameParam('fn', 'Function');
const SUBJECT = nameParam('name', 'Subject');

const COMMON_ERRORS = {
  '400': error('Invalid input: the detail names what is wrong'),
  '401': error('Missing or invalid token'),
};
const TOTAL_COUNT = {
  'X-Total-Count': { description: 'Number of items in the list', schema: { type: 'integer', minimum: 0 } },
};

const functionUpload = (required: string[]): Record<string, unknown> => ({
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required,
        properties: {
          name: { $ref: '#/components/schemas/Name' },
          code: { type: 'string', contentMediaType: 'application/wasm', description: 'The .wasm binary' },
          metadata: {
            type: 'string',
            description: 'JSON: {"tag": string, "capacity": MiB}; both optional',
            examples: ['{"tag":"default","capacity":64}'],
          },
          events: { type: 'string', description: 'JSON array of {"type","params"}' },
          sinks: { type: 'string', description: 'JSON array of {"type","params"}' },
          wait_for_workers: { type: 'string', enum: ['true', 'false'], default: 'true' },
        },
      },
    },
  },
});

/**
 * Answers any route can give before its handler runs: a URL Fastify cannot decode (400) on every
 * operation; on those that read a body, a body over the limit (413) or of a media type the route
 * does not take (415). Added where an operation does not describe them more precisely.
 */
function withCommonErrors(document: Record<string, unknown>): Record<string, unknown> {
  const paths = document.paths as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  for (const item of Object.values(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const responses = operation.responses;
      if (!['get', 'post', 'put', 'delete'].includes(method) || responses === undefined) continue;
      responses['400'] ??= error('Bad request, e.g. a URL with a broken %-escape');
      if (method === 'get') continue;
      responses['413'] ??= error('Body larger than the limit');
      responses['415'] ??= error('A body of a media type this route does not take');
    }
  }
  return document;
}

export const OPENAPI_DOCUMENT: Record<string, unknown> = withCommonErrors({
  openapi: '3.1.0',
  info: {
    title: 'FunLess Core API',
    version: '1.0.0',
    description:
      'The FunLess v1 REST API: modules, WebAssembly functions, invocations and subjects. ' +
      'Every error is {"errors":{"detail":"..."}}.',
  },
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  security: [{ bearer: [] }],
  paths: {
    '/v1/': {
      get: {
        summary: 'Health',
        security: [],
        responses: { '200': response('The Core is up', ref('Health')) },
      },
    },
    '/v1/openapi.json': {
      get: {
        summary: 'This document',
        security: [],
        responses: { '200': response('OpenAPI 3.1 document', { type: 'object' }) },
      },
    },
    '/v1/fn': {
      get: {
        summary: 'List modules',
        responses: {
          '200': {
            ...response('Modules', data({ type: 'array', items: ref('Module') })),
            headers: TOTAL_COUNT,
          },
          '401': COMMON_ERRORS['401'],
        },
      },
      post: {
        summary: 'Create a module',
        requestBody: { required: true, ...json(ref('ModuleRequest')) },
        responses: {
          '201': response('Created', data(ref('Module'))),
          ...COMMON_ERRORS,
          '409': error('A module with that name exists'),
          '413': error('Body larger than the limit'),
          '415': error('Not a JSON body'),
        },
      },
    },
    '/v1/fn/{mod}': {
      parameters: [MOD],
      get: {
        summary: 'Show a module with its functions',
        responses: {
          '200': response('The module', data(ref('ModuleWithFunctions'))),
          ...COMMON_ERRORS,
          '404': error('No such module'),
        },
      },
      put: {
        summary: 'Rename a module (not `_`)',
        requestBody: { required: true, ...json(ref('ModuleRequest')) },
        responses: {
          '200': response('Renamed', data(ref('Module'))),
          ...COMMON_ERRORS,
          '404': error('No such module'),
          '409': error('The new name is taken'),
          '413': error('Body larger than the limit'),
          '415': error('Not a JSON body'),
        },
      },
      delete: {
        summary: 'Delete a module and its functions (not `_`)',
        responses: { '204': response('Deleted'), ...COMMON_ERRORS, '404': error('No such module') },
      },
      post: {
        summary: 'Create a function (multipart upload)',
        requestBody: functionUpload(['name', 'code']),
        responses: {
          '201': response('Created', data(ref('FunctionChange'))),
          '207': response(
            'Created, but some events or sinks could not be connected',
            data(ref('FunctionChange')),
          ),
          ...COMMON_ERRORS,
          '404': error('No such module'),
          '409': error('A function with that name exists in the module'),
          '413': error('Body larger than the limit'),
          '415': error('Not a multipart body'),
        },
      },
    },
    '/v1/fn/{mod}/{fn}': {
      parameters: [MOD, FN],
      get: {
        summary: 'Show a function',
        responses: {
          '200': response('The function', data(ref('FunctionDetail'))),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
        },
      },
      put: {
        summary: 'Update code, name, metadata, events or sinks (multipart)',
        requestBody: functionUpload([]),
        responses: {
          '200': response('Updated', data(ref('FunctionChange'))),
          '207': response(
            'Updated, but some events or sinks could not be connected',
            data(ref('FunctionChange')),
          ),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
          '409': error('The new name is taken'),
          '413': error('Body larger than the limit'),
          '415': error('Not a multipart body'),
        },
      },
      delete: {
        summary: 'Delete a function',
        responses: {
          '204': response('Deleted'),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
        },
      },
      post: {
        summary: 'Invoke a function',
        requestBody: { required: false, ...json(ref('InvokeRequest')) },
        responses: {
          '200': response('The JSON result of the function', data({})),
          ...COMMON_ERRORS,
          '404': error('No such module or function'),
          '413': error('Body larger than the limit'),
          '415': error('Not a JSON body'),
          '422': error('The function failed; the detail is "Error: <message>"'),
          '500': error('A fault of the platform (logged with the request id)'),
          '503': error('No Worker available, the Worker was lost, or it is overloaded'),
          '504': error('The invocation passed its time limit'),
        },
      },
    },
    '/v1/admin/subjects': {
      get: {
        summary: 'List subjects (names only; admin token)',
        responses: {
          '200': {
            ...response('Subjects', data({ type: 'array', items: ref('Subject') })),
            headers: TOTAL_COUNT,
          },
          '401': COMMON_ERRORS['401'],
        },
      },
      post: {
        summary: 'Create a subject; its token is shown once (admin token)',
        requestBody: { required: true, ...json(ref('SubjectRequest')) },
        responses: {
          '201': response('Created', data(ref('SubjectToken'))),
          ...COMMON_ERRORS,
          '409': error('A subject with that name exists'),
          '413': error('Body larger than the limit'),
          '415': error('Not a JSON body'),
        },
      },
    },
    '/v1/admin/subjects/{name}': {
      parameters: [SUBJECT],
      delete: {
        summary: 'Delete a subject (admin token)',
        responses: { '204': response('Deleted'), ...COMMON_ERRORS, '404': error('No such subject') },
      },
    },
    '/v1/admin/subjects/{name}/token': {
      parameters: [SUBJECT],
      post: {
        summary: 'Rotate a subject token: the old one stops working (admin token)',
        responses: {
          '200': response('The new token, shown once', data(ref('SubjectToken'))),
          ...COMMON_ERRORS,
          '404': error('No such subject'),
        },
      },
    },
    '/v1/workers': {
      get: {
        summary: 'Connected Workers and their resources',
        responses: {
          '200': response('Workers', data({ type: 'array', items: ref('Worker') })),
          '401': COMMON_ERRORS['401'],
        },
      },
    },
    ...SCRIPT_PATHS,
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'A subject token, or the admin token' },
    },
    schemas: {
      Name: {
        type: 'string',
        pattern: '^[_a-zA-Z0-9]+$',
        minLength: 1,
        maxLength: NAME_MAX_LENGTH,
      },
      Error: {
        type: 'object',
        required: ['errors'],
        additionalProperties: false,
        properties: {
          errors: {
            type: 'object',
            required: ['detail'],
            properties: { detail: { type: 'string', minLength: 1 } },
          },
        },
      },
      Health: data({
        type: 'object',
        required: ['status', 'database'],
        additionalProperties: false,
        properties: { status: { const: 'ok' }, database: { enum: ['sqlite', 'postgres'] } },
      }),
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
      Metadata: {
        type: 'object',
        required: ['tag', 'capacity'],
        additionalProperties: false,
        properties: {
          tag: { type: 'string', minLength: 1 },
          capacity: { type: 'integer', minimum: 1, description: 'Memory for one invocation, in MiB' },
        },
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
          events: { type: 'array', items: ref('ConnectionRequest') },
          sinks: { type: 'array', items: ref('ConnectionRequest') },
        },
        unevaluatedProperties: false,
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
      InvokeRequest: {
        type: 'object',
        additionalProperties: false,
        properties: {
          args: { type: 'object', description: 'The function input', default: {} },
          scheduling: {
            type: 'object',
            required: ['language'],
            additionalProperties: false,
            properties: { language: { enum: ['none', 'app'] }, script: ref('Name') },
          },
        },
      },
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
      Worker: {
        type: 'object',
        required: [
          'name',
          'tag',
          'memoryTotalMiB',
          'memoryFreeMiB',
          'inFlight',
          'runningTags',
          'secondsSinceReport',
        ],
        properties: {
          name: { type: 'string' },
          tag: { type: 'string' },
          memoryTotalMiB: { type: 'number', minimum: 0 },
          memoryFreeMiB: { type: 'number' },
          inFlight: { type: 'integer', minimum: 0 },
          runningTags: { type: 'array', items: { type: 'string' } },
          secondsSinceReport: { type: 'number', minimum: 0 },
        },
      },
      ...SCRIPT_SCHEMAS,
    },
  },
});
