/**
 * The APP script routes in the OpenAPI document (docs/scheduling.md); `openapi-document.ts` spreads these
 * into its `paths` and `components.schemas`.
 */

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const content = (schema: unknown): { content: { 'application/json': { schema: unknown } } } => ({
  content: { 'application/json': { schema } },
});
const response = (description: string, schema?: unknown): Record<string, unknown> =>
  schema === undefined ? { description } : { description, ...content(schema) };
const error = (description: string): Record<string, unknown> => response(description, ref('Error'));
const data = (schema: unknown): Record<string, unknown> => ({
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: { data: schema },
});

const SCRIPT_NAME = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'Script name',
  schema: ref('Name'),
};
const TOTAL_COUNT = {
  'X-Total-Count': { description: 'Number of items in the list', schema: { type: 'integer', minimum: 0 } },
};

const upload = (required: string[]): Record<string, unknown> => ({
  required: true,
  content: {
    'application/json': { schema: { ...ref('AppScriptRequest'), required } },
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: required.map((r) => (r === 'script' ? 'file' : r)),
        properties: {
          name: ref('Name'),
          file: { type: 'string', contentMediaType: 'application/yaml', description: 'The YAML text' },
        },
      },
    },
  },
});

const CHANGE_ERRORS = {
  '400': error('Invalid input: the detail names what is wrong'),
  '401': error('Missing or invalid token'),
  '413': error('Body or script larger than the limit'),
  '415': error('Neither JSON nor multipart'),
  '422': response('The script is not valid APP: every problem, located', ref('AppScriptProblems')),
};

export const SCRIPT_PATHS: Record<string, unknown> = {
  '/v1/scripts/app': {
    get: {
      summary: 'List APP scripts (names)',
      responses: {
        '200': {
          ...response('Scripts', data({ type: 'array', items: ref('AppScriptName') })),
          headers: TOTAL_COUNT,
        },
        '401': error('Missing or invalid token'),
      },
    },
    post: {
      summary: 'Upload an APP script (JSON {"name","script"} or multipart name + file)',
      requestBody: upload(['name', 'script']),
      responses: {
        '201': response('Created', data(ref('AppScript'))),
        ...CHANGE_ERRORS,
        '409': error('A script with that name exists'),
      },
    },
  },
  '/v1/scripts/app/{name}': {
    parameters: [SCRIPT_NAME],
    get: {
      summary: 'Show an APP script: its text as uploaded and its parsed form',
      responses: {
        '200': response('The script', data(ref('AppScript'))),
        '400': error('Invalid name'),
        '401': error('Missing or invalid token'),
        '404': error('No such script'),
      },
    },
    put: {
      summary: 'Replace the text of an APP script, and/or rename it with "name"',
      requestBody: upload([]),
      responses: {
        '200': response('Updated', data(ref('AppScript'))),
        ...CHANGE_ERRORS,
        '404': error('No such script'),
        '409': error('The new name is taken'),
      },
    },
    delete: {
      summary: 'Delete an APP script',
      responses: {
        '204': response('Deleted'),
        '400': error('Invalid name'),
        '401': error('Missing or invalid token'),
        '404': error('No such script'),
      },
    },
  },
};

const nullableNumber = { type: ['number', 'null'] };

export const SCRIPT_SCHEMAS: Record<string, unknown> = {
  AppScriptName: {
    type: 'object',
    required: ['name'],
    additionalProperties: false,
    properties: { name: ref('Name') },
  },
  AppScriptRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: ref('Name'),
      script: {
        description: 'The YAML text, or the list of tag entries as JSON',
        oneOf: [{ type: 'string' }, { type: 'array' }],
      },
    },
  },
  AppScript: {
    type: 'object',
    required: ['name', 'script', 'parsed', 'created_at', 'updated_at'],
    additionalProperties: false,
    properties: {
      name: ref('Name'),
      script: { type: 'string', description: 'The text exactly as uploaded' },
      parsed: {
        type: 'array',
        description: 'How the Core reads the script, every default written out',
        items: ref('AppTagEntry'),
      },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
  AppTagEntry: {
    type: 'object',
    required: ['tag', 'blocks', 'followup'],
    additionalProperties: false,
    properties: {
      tag: { type: 'string', minLength: 1 },
      blocks: { type: 'array', minItems: 1, items: ref('AppBlock') },
      followup: { enum: ['default', 'fail'] },
    },
  },
  AppBlock: {
    type: 'object',
    required: ['workers', 'strategy', 'invalidate', 'affinity'],
    additionalProperties: false,
    properties: {
      workers: { oneOf: [{ const: '*' }, { type: 'array', items: { type: 'string' } }] },
      strategy: { enum: ['best-first', 'random', 'platform'] },
      invalidate: {
        type: 'object',
        required: ['capacity_used', 'max_concurrent_invocations'],
        additionalProperties: false,
        properties: {
          capacity_used: { ...nullableNumber, description: 'Percent of the Worker memory; null: no limit' },
          max_concurrent_invocations: { type: ['integer', 'null'], minimum: 1 },
        },
      },
      affinity: { type: 'array', items: { type: 'string' }, description: '"tag" or "!tag"' },
    },
  },
  AppScriptProblems: {
    type: 'object',
    required: ['errors'],
    additionalProperties: false,
    properties: {
      errors: {
        type: 'object',
        required: ['detail', 'problems'],
        additionalProperties: false,
        properties: {
          detail: { type: 'string', minLength: 1, description: 'Every problem in one sentence each' },
          problems: { type: 'array', minItems: 1, items: ref('AppProblem') },
        },
      },
    },
  },
  AppProblem: {
    type: 'object',
    required: ['kind', 'expected', 'message'],
    additionalProperties: false,
    properties: {
      kind: {
        enum: [
          'not_yaml',
          'not_tag_list',
          'no_blocks',
          'bad_block',
          'missing_workers',
          'bad_workers',
          'unknown_strategy',
          'unknown_followup',
          'bad_invalidate',
          'bad_capacity_used',
          'bad_max_concurrent_invocations',
          'bad_affinity',
          'unknown_key',
          'duplicate_tag',
        ],
      },
      tag: { type: 'string' },
      entry: { type: 'integer', minimum: 1, description: 'Position of the tag entry in the list' },
      block: { type: 'integer', minimum: 1 },
      field: { type: 'string', description: 'Dotted for nested fields: invalidate.capacity_used' },
      line: { type: 'integer', minimum: 1 },
      column: { type: 'integer', minimum: 1 },
      expected: { type: 'string' },
      message: { type: 'string' },
    },
  },
};
