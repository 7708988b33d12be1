import assert from 'node:assert/strict';

import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import { OPENAPI_DOCUMENT } from '../../src/http/index.js';

// ajv-formats is CommonJS with a default export that NodeNext sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...OPENAPI_DOCUMENT, $id: 'openapi.json' });

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface MediaType {
  schema: { properties?: Record<string, { contentSchema?: unknown }> };
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
}
type Paths = Record<string, Record<string, Operation>>;
const paths = OPENAPI_DOCUMENT.paths as Paths;
const templates = Object.keys(paths).map((template) => ({
  template,
  names: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
  regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
}));

const pointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The compiled schema at `path` (a JSON pointer into the document), compiled once. */
function schemaAt(...path: (string | number)[]): ValidateFunction {
  const ref = `openapi.json#/${path.map((p) => pointer(String(p))).join('/')}`;
  const validate = ajv.getSchema(ref);
  assert.ok(validate, `no schema at ${ref}`);
  return validate;
}

function errorsOf(validate: ValidateFunction): string {
  return ajv.errorsText(validate.errors);
}

/** The documented operation a request is for, with its path parameters (still %-encoded). */
function operationOf(method: string, url: string) {
  const path = url.split('?')[0] ?? url;
  // The app ignores a trailing slash (`ignoreTrailingSlash`): `/v1/fn/` is `/v1/fn`, `/v1` is `/v1/`.
  const candidates = [path, path.endsWith('/') ? path.slice(0, -1) : `${path}/`];
  for (const candidate of candidates) {
    for (const t of templates) {
      const match = t.regex.exec(candidate);
      const operation = match && paths[t.template]?.[method.toLowerCase()];
      if (match && operation) {
        const params = Object.fromEntries(t.names.map((name, i) => [name, match[i + 1]!]));
        return { template: t.template, operation, params };
      }
    }
  }
  return undefined;
}

/** A query value as the schema's type reads it: integers and numbers from their decimal text. */
function queryValue(value: string, schema: unknown): unknown {
  const type = (schema as { type?: unknown } | undefined)?.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

/** A request as a test sends it. */
export interface SentRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer | undefined;
}

/** A multipart body as the JSON object its schema describes (file parts as their text). */
async function formFields(
  payload: string | Buffer,
  contentType: string,
): Promise<{ fields: Record<string, string> } | { problem: string }> {
  let form: FormData;
  try {
    form = await new Response(payload, { headers: { 'content-type': contentType } }).formData();
  } catch (error) {
    return { problem: `the multipart body does not parse: ${(error as Error).message}` };
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of form.entries()) {
    if (name in fields) return { problem: `the multipart part ${JSON.stringify(name)} is repeated` };
    fields[name] = typeof value === 'string' ? value : await value.text();
  }
  return { fields };
}

/**
 * Why the OpenAPI document refuses this request (its path parameters, its body against the
 * documented media types and schemas, including the JSON schema of multipart fields that hold
 * JSON), one sentence each; empty when the document allows it. Undocumented routes: empty (the
 * response check deals with them).
 */
export async function requestProblems(request: SentRequest): Promise<string[]> {
  const found = operationOf(request.method, request.url);
  if (!found) return [];
  const { template, operation, params } = found;
  const method = request.method.toLowerCase();
  const problems: string[] = [];

  for (const [i, parameter] of (operation.parameters ?? []).entries()) {
    if (parameter.in !== 'path') continue;
    let value: string;
    try {
      value = decodeURIComponent(params[parameter.name] ?? '');
    } catch {
      problems.push(`path parameter ${parameter.name} is not valid %-encoding`);
      continue;
    }
    const validate = schemaAt('paths', template, method, 'parameters', i, 'schema');
    if (!validate(value)) problems.push(`path parameter ${parameter.name}: ${errorsOf(validate)}`);
  }

  // Query parameters: each one documented, its value (a string, read as the schema's type) valid.
  const search = new URLSearchParams(
    request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '',
  );
  const parameters = operation.parameters ?? [];
  for (const name of new Set(search.keys())) {
    const i = parameters.findIndex((p) => p.in === 'query' && p.name === name);
    if (i < 0) {
      problems.push(`query parameter ${name} is not documented`);
      continue;
    }
    const values = search.getAll(name);
    if (values.length > 1) {
      problems.push(`query parameter ${name} is given ${values.length} times`);
      continue;
    }
    const validate = schemaAt('paths', template, method, 'parameters', i, 'schema');
    if (!validate(queryValue(values[0]!, validate.schema))) {
      problems.push(`query parameter ${name}: ${errorsOf(validate)}`);
    }
  }
  for (const p of parameters) {
    if (p.in === 'query' && p.required === true && !search.has(p.name))
      problems.push(`query parameter ${p.name} is required`);
  }

  const payload = request.payload ?? '';
  const contentType = request.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  // The Core's JSON parser takes a body of only whitespace as no body, like an empty one.
  const empty =
    payload.length === 0 || (mediaType === 'application/json' && payload.toString().trim() === '');
  const body = operation.requestBody;
  if (body === undefined) {
    if (!empty) problems.push(`${request.method} ${template} takes no body`);
    return problems;
  }
  if (empty) {
    if (body.required === true) problems.push(`${request.method} ${template} needs a body`);
    return problems;
  }
  const media = body.content[mediaType];
  if (media === undefined) {
    problems.push(
      `${request.method} ${template} takes ${Object.keys(body.content).join(' or ')}, not ${JSON.stringify(contentType)}`,
    );
    return problems;
  }
  const at = ['paths', template, method, 'requestBody', 'content', mediaType, 'schema'];
  if (mediaType === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(payload.toString());
    } catch {
      problems.push('the JSON body does not parse');
      return problems;
    }
    const validate = schemaAt(...at);
    if (!validate(value)) problems.push(`the JSON body: ${errorsOf(validate)}`);
    return problems;
  }
  const form = await formFields(payload, contentType);
  if ('problem' in form) {
    problems.push(form.problem);
    return problems;
  }
  const validate = schemaAt(...at);
  if (!validate(form.fields)) problems.push(`the multipart body: ${errorsOf(validate)}`);
  // Parts that hold JSON text are checked against the schema of that JSON.
  for (const [name, property] of Object.entries(media.schema.properties ?? {})) {
    const text = form.fields[name];
    if (property.contentSchema === undefined || text === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      problems.push(`the multipart part ${name} is not JSON`);
      continue;
    }
    const part = schemaAt(...at, 'properties', name, 'contentSchema');
    if (!part(value)) problems.push(`the multipart part ${name}: ${errorsOf(part)}`);
  }
  return problems;
}

/**
 * Asserts that a response is what the OpenAPI document says this route answers: the status is
 * documented and the body matches its schema. Unknown routes must be 404 errors.
 */
export function assertMatchesOpenApi(
  method: string,
  url: string,
  status: number,
  body: string,
  headers: Record<string, unknown> = {},
): void {
  const found = operationOf(method, url);
  if (!found) {
    assert.ok([404, 400].includes(status), `undocumented route ${method} ${url} answered ${status}`);
    assert.ok(schemaAt('components', 'schemas', 'Error')(JSON.parse(body)));
    return;
  }
  const { template, operation } = found;
  const documented = operation.responses[String(status)];
  assert.ok(documented, `${method} ${template} answered ${status}, which the OpenAPI document does not list`);
  // The API's own headers are documented where they are sent.
  const declared = new Set(Object.keys(documented.headers ?? {}).map((h) => h.toLowerCase()));
  for (const header of Object.keys(headers)) {
    const name = header.toLowerCase();
    if ((name.startsWith('x-fl-') || name === 'x-total-count') && !declared.has(name)) {
      assert.fail(
        `${method} ${template} ${status} sent the header ${header}, which the document does not list`,
      );
    }
  }
  if (!documented.content) {
    assert.equal(body, '', `${method} ${template} ${status} should have no body`);
    return;
  }
  const textType = Object.keys(documented.content).find((type) => type.startsWith('text/'));
  if (textType !== undefined) {
    // A text answer (`GET /metrics`): the body as a string against its schema.
    const at = ['paths', template, method.toLowerCase(), 'responses', status, 'content', textType, 'schema'];
    const validate = schemaAt(...at);
    assert.ok(
      validate(body),
      `${method} ${template} ${status} does not match the OpenAPI document: ${errorsOf(validate)}`,
    );
    return;
  }
  const validate = schemaAt(
    'paths',
    template,
    method.toLowerCase(),
    'responses',
    status,
    'content',
    'application/json',
    'schema',
  );
  assert.ok(
    validate(JSON.parse(body)),
    `${method} ${template} ${status} does not match the OpenAPI document: ${errorsOf(validate)}\n${body.slice(0, 500)}`,
  );
}

/**
 * Asserts that a request and its answer agree with the OpenAPI document: the answer is documented
 * (`assertMatchesOpenApi`), and a request the document refuses is refused (4xx), so that the
 * document never describes a request narrower than the one the Core takes.
 */
export async function assertExchangeMatchesOpenApi(
  request: SentRequest,
  status: number,
  body: string,
  headers: Record<string, unknown> = {},
): Promise<void> {
  assertMatchesOpenApi(request.method, request.url, status, body, headers);
  const problems = await requestProblems(request);
  if (problems.length > 0) {
    assert.ok(
      status >= 400 && status < 500,
      `${request.method} ${request.url} breaks the OpenAPI document (${problems.join('; ')}) ` +
        `but the Core answered ${status}: the document or the route is wrong`,
    );
  }
}
