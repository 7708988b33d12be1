import { ErrorCode, FlError } from '@funless/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { appScriptToJson, parseAppScript } from '../../scheduling/index.js';
import type { AppProblem, AppScriptJson } from '../../scheduling/index.js';
import type { AppScriptRecord } from '../../store/index.js';
import { readMultipart } from '../multipart.js';
import { BadRequestError, isPlainObject, onlyKeys, validName } from '../validation.js';
import type { RouteRegistrar } from './route-registrar.js';

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

/** APP configuration scripts: list, upload (validated), show (text and parsed form), replace, delete. */
export const scriptRoutes: RouteRegistrar = (app, { store, appScripts: cache }) => {
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
    const record = await store.createAppScript(upload.name, upload.text);
    cache.invalidate(upload.name);
    return reply.status(201).send({ data: scriptJson(record, parsed) });
  });

  app.get<{ Params: ScriptParams }>('/v1/scripts/app/:name', async (request) => {
    const name = validName('script name', request.params.name);
    const record = await store.getAppScript(name);
    if (!record) throw new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
    const parsed = parseAppScript(record.text);
    if (!parsed.ok) {
      throw new FlError(ErrorCode.Internal, `stored APP script ${name} does not parse`);
    }
    return { data: scriptJson(record, appScriptToJson(parsed.script)) };
  });

  app.put<{ Params: ScriptParams }>('/v1/scripts/app/:name', async (request, reply) => {
    const name = validName('script name', request.params.name);
    const upload = await readUpload(request);
    if (upload.name === undefined && upload.text === undefined) {
      throw new BadRequestError(
        `nothing to update: send the new script (and a "name" to rename), like ${JSON_EXAMPLE}`,
      );
    }
    let text = upload.text;
    if (text === undefined) {
      const existing = await store.getAppScript(name);
      if (!existing) throw new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
      text = existing.text;
    }
    const parsed = parseOrRefuse(text, reply);
    if (parsed === undefined) return reply;
    const record = await store.updateAppScript(name, {
      ...(upload.name !== undefined ? { name: upload.name } : {}),
      ...(upload.text !== undefined ? { text: upload.text } : {}),
    });
    cache.invalidate(name);
    if (record.name !== name) cache.invalidate(record.name);
    return { data: scriptJson(record, parsed) };
  });

  app.delete<{ Params: ScriptParams }>('/v1/scripts/app/:name', async (request, reply) => {
    const name = validName('script name', request.params.name);
    await store.deleteAppScript(name);
    cache.invalidate(name);
    return reply.status(204).send();
  });
};
