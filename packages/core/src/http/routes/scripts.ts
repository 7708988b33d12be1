import { ErrorCode, FlError, SubjectRole } from '@funless/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import {
  APP_ALL_WORKERS,
  APP_FOLLOWUPS,
  APP_STRATEGIES,
  AppProblemKind,
  appScriptToJson,
  parseAppScript,
} from '../../scheduling/index.js';
import type { AppProblem, AppScriptJson } from '../../scheduling/index.js';
import type { AppScriptRecord } from '../../store/index.js';
import type { AppContext } from '../app-context.js';
import { principalOf } from '../auth-hook.js';
import { readMultipart } from '../multipart.js';
import {
  COMMON_ERRORS,
  TOTAL_COUNT,
  data,
  error,
  minRole,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import type { OpenApiObject } from '../openapi/openapi-helpers.js';
import { BadRequestError, isPlainObject, onlyKeys, validName } from '../validation.js';
import type { RouteModule } from './route-module.js';

interface ScriptParams {
  name: string;
}

/** Largest script accepted, in bytes: scripts are a few lines; this keeps parsing cheap. */
export const APP_SCRIPT_MAX_BYTES = 256 * 1024;

const JSON_EXAMPLE = '{"name":"my_script","script":"- default:\\n    - workers: \\"*\\"\\n"}';
const MULTIPART_EXAMPLE = '"name" (the script name) and "file" (the YAML)';

/** A script as the API shows it: the text as uploaded and how the Core reads it. */
interface AppScriptJsonBody {
  name: string;
  script: string;
  parsed: AppScriptJson;
  created_at: string;
  updated_at: string;
}

/** What an upload carries; either may be absent on an update. */
interface ScriptUpload {
  name?: string;
  text?: string;
}

function scriptJson(record: AppScriptRecord, parsed: AppScriptJson): AppScriptJsonBody {
  return {
    name: record.name,
    script: record.text,
    parsed,
    created_at: record.createdAt.toISOString(),
    updated_at: record.updatedAt.toISOString(),
  };
}

function checkedText(bytes: Buffer | string): string {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.byteLength;
  if (size > APP_SCRIPT_MAX_BYTES) {
    throw new FlError(
      ErrorCode.TooLarge,
      `the APP script is ${size} bytes; the limit is ${APP_SCRIPT_MAX_BYTES}`,
    );
  }
  if (typeof bytes === 'string') {
    // A lone UTF-16 surrogate (possible in a JSON string) has no UTF-8 form: it would not be stored as sent.
    if (/\p{Cs}/u.test(bytes)) throw new BadRequestError('the APP script holds an unpaired UTF-16 surrogate');
    return bytes;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BadRequestError('the APP script file is not UTF-8 text');
  }
}

/** The name and text of a POST or PUT, from multipart (`name` + `file`) or JSON (`{"name","script"}`). */
async function readUpload(request: FastifyRequest): Promise<ScriptUpload> {
  const upload: ScriptUpload = {};
  if (request.isMultipart()) {
    const parts = await readMultipart(request, ['name', 'file'], MULTIPART_EXAMPLE);
    const name = parts.get('name');
    const file = parts.get('file');
    if (name !== undefined) upload.name = validName('script name', name.toString('utf8'));
    if (file !== undefined) upload.text = checkedText(file);
    return upload;
  }
  const body: unknown = request.body;
  if (!isPlainObject(body)) {
    throw new BadRequestError(
      `the body must be a JSON object like ${JSON_EXAMPLE}, or multipart/form-data with ${MULTIPART_EXAMPLE}`,
    );
  }
  onlyKeys('the body', body, ['name', 'script']);
  if (body.name !== undefined) upload.name = validName('script name', body.name);
  if (typeof body.script === 'string') {
    upload.text = checkedText(body.script);
  } else if (Array.isArray(body.script)) {
    // JSON is YAML: a script sent as a JSON structure is stored as that JSON's text.
    upload.text = checkedText(JSON.stringify(body.script, null, 2));
  } else if (body.script !== undefined) {
    throw new BadRequestError(
      'script must be the YAML text of an APP script (a string), or its list of tags',
    );
  }
  return upload;
}

/** The parsed script, or a 422 listing every problem with where it is. */
function parseOrRefuse(text: string, reply: FastifyReply): AppScriptJson | undefined {
  const parsed = parseAppScript(text);
  if (parsed.ok) return appScriptToJson(parsed.script);
  void reply.status(422).send(refusal(parsed.problems));
  return undefined;
}

function refusal(problems: AppProblem[]): { errors: { detail: string; problems: AppProblem[] } } {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return {
    errors: {
      detail: `invalid APP script, ${count}: ${problems.map((p) => p.message).join('; ')}`,
      problems,
    },
  };
}

const SCRIPT_NAME = nameParam('name', 'Script');

/** A create needs both fields; an update at least one (`all` false). */
const upload = (all: boolean): OpenApiObject => ({
  required: true,
  content: {
    'application/json': { schema: { ...ref('AppScriptRequest'), ...needs(all, ['name', 'script']) } },
    'multipart/form-data': {
      schema: {
        type: 'object',
        ...needs(all, ['name', 'file']),
        additionalProperties: false,
        properties: {
          name: ref('Name'),
          file: { type: 'string', contentMediaType: 'application/yaml', description: 'The YAML text' },
        },
      },
    },
  },
});

function needs(all: boolean, fields: string[]): OpenApiObject {
  return all ? { required: fields } : { anyOf: fields.map((field) => ({ required: [field] })) };
}

const CHANGE_ERRORS = {
  ...COMMON_ERRORS,
  '413': error(`Body larger than the limit, or a script over ${APP_SCRIPT_MAX_BYTES} bytes`),
  '415': error('Neither JSON nor multipart'),
  '422': response('The script is not valid APP: every problem, located', ref('AppScriptProblems')),
};

const nullableNumber = { type: ['number', 'null'] };

/** APP configuration scripts: list, upload (validated), show (text and parsed form), replace, delete. */
export const scriptRoutes: RouteModule = {
  paths: {
    '/v1/scripts/app': {
      get: {
        summary: 'List APP scripts (names)',
        ...minRole(SubjectRole.Developer),
        responses: {
          '200': {
            ...response('Scripts', data({ type: 'array', items: ref('AppScriptName') })),
            headers: TOTAL_COUNT,
          },
          '401': COMMON_ERRORS['401'],
          '503': COMMON_ERRORS['503'],
        },
      },
      post: {
        summary:
          'Upload an APP script (JSON {"name","script"} or multipart name + file), owned by the caller',
        ...minRole(SubjectRole.Developer),
        requestBody: upload(true),
        responses: {
          '201': response('Created', data(ref('AppScript'))),
          ...CHANGE_ERRORS,
          '409': error('A script with that name exists'),
        },
      },
    },
    '/v1/scripts/app/{name}': {
      get: {
        summary: 'Show an APP script: its text as uploaded and its parsed form',
        ...minRole(SubjectRole.Developer),
        parameters: [SCRIPT_NAME],
        responses: {
          '200': response('The script', data(ref('AppScript'))),
          '400': error('Invalid name'),
          '401': COMMON_ERRORS['401'],
          '503': COMMON_ERRORS['503'],
          '404': error('No such script'),
        },
      },
      put: {
        summary:
          'Replace the text of an APP script, and/or rename it with "name" (its owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [SCRIPT_NAME],
        requestBody: upload(false),
        responses: {
          '200': response('Updated', data(ref('AppScript'))),
          ...CHANGE_ERRORS,
          '404': error('No such script'),
          '409': error('The new name is taken'),
        },
      },
      delete: {
        summary: 'Delete an APP script (its owner, a grantee or the admin)',
        ...minRole(SubjectRole.Developer),
        parameters: [SCRIPT_NAME],
        responses: {
          '204': response('Deleted'),
          '400': error('Invalid name'),
          '401': COMMON_ERRORS['401'],
          '503': COMMON_ERRORS['503'],
          '404': error('No such script'),
        },
      },
    },
  },
  schemas: {
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
          description: `The YAML text (at most ${APP_SCRIPT_MAX_BYTES} bytes), or the list of tag entries as JSON`,
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
        followup: { enum: APP_FOLLOWUPS },
      },
    },
    AppBlock: {
      type: 'object',
      required: ['workers', 'strategy', 'invalidate', 'affinity'],
      additionalProperties: false,
      properties: {
        workers: { oneOf: [{ const: APP_ALL_WORKERS }, { type: 'array', items: { type: 'string' } }] },
        strategy: { enum: APP_STRATEGIES },
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
        kind: { enum: Object.values(AppProblemKind) },
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
  },
  register,
};

function scriptNotFound(name: string): FlError {
  return new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
}

function register(app: FastifyInstance, { store, access }: AppContext): void {
  app.get('/v1/scripts/app', async (_request, reply) => {
    const scripts = await store.listAppScripts();
    void reply.header('x-total-count', scripts.length);
    return { data: scripts.map((s) => ({ name: s.name })) };
  });

  app.post('/v1/scripts/app', async (request, reply) => {
    const upload = await readUpload(request);
    if (upload.name === undefined) {
      throw new BadRequestError(
        `the script name is missing: send ${JSON_EXAMPLE}, or multipart ${MULTIPART_EXAMPLE}`,
      );
    }
    if (upload.text === undefined) {
      throw new BadRequestError(
        `the script is missing: send ${JSON_EXAMPLE}, or multipart ${MULTIPART_EXAMPLE}`,
      );
    }
    const parsed = parseOrRefuse(upload.text, reply);
    if (parsed === undefined) return reply;
    const record = await store.createAppScript(upload.name, upload.text, principalOf(request).name);
    return reply.status(201).send({ data: scriptJson(record, parsed) });
  });

  app.get<{ Params: ScriptParams }>('/v1/scripts/app/:name', async (request) => {
    const name = validName('script name', request.params.name);
    const record = await store.getAppScript(name);
    if (!record) throw scriptNotFound(name);
    const parsed = parseAppScript(record.text);
    if (!parsed.ok) {
      throw new FlError(ErrorCode.Internal, `stored APP script ${name} does not parse`);
    }
    return { data: scriptJson(record, appScriptToJson(parsed.script)) };
  });

  app.put<{ Params: ScriptParams }>('/v1/scripts/app/:name', async (request, reply) => {
    const name = validName('script name', request.params.name);
    // Before the upload is read: a subject that may not change the script is refused at once.
    const principal = principalOf(request);
    const current = await store.getAppScript(name);
    if (current) await access.requireScript(principal, current, 'change it');
    const upload = await readUpload(request);
    if (upload.name === undefined && upload.text === undefined) {
      throw new BadRequestError(
        `nothing to update: send the new script (and a "name" to rename), like ${JSON_EXAMPLE}`,
      );
    }
    const latest = current ?? (await store.getAppScript(name));
    // Created while the upload arrived: checked now.
    if (!current && latest) await access.requireScript(principal, latest, 'change it');
    const text = upload.text ?? latest?.text;
    if (text === undefined) throw scriptNotFound(name);
    const parsed = parseOrRefuse(text, reply);
    if (parsed === undefined) return reply;
    const record = await store.updateAppScript(name, {
      ...(upload.name !== undefined ? { name: upload.name } : {}),
      ...(upload.text !== undefined ? { text: upload.text } : {}),
    });
    return { data: scriptJson(record, parsed) };
  });

  app.delete<{ Params: ScriptParams }>('/v1/scripts/app/:name', async (request, reply) => {
    const name = validName('script name', request.params.name);
    const current = await store.getAppScript(name);
    if (!current) throw scriptNotFound(name);
    await access.requireScript(principalOf(request), current, 'delete it');
    await store.deleteAppScript(name);
    return reply.status(204).send();
  });
}
