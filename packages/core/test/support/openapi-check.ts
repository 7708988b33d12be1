import assert from 'node:assert/strict';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import { OPENAPI_DOCUMENT } from '../../src/http/index.js';

// ajv-formats is CommonJS with a default export that NodeNext sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...OPENAPI_DOCUMENT, $id: 'openapi.json' });

type Paths = Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
const paths = OPENAPI_DOCUMENT.paths as Paths;
const templates = Object.keys(paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

const pointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Asserts that a response is what the OpenAPI document says this route answers: the status is
 * documented and the body matches its schema. Unknown routes must be 404 errors.
 */
export function assertMatchesOpenApi(method: string, url: string, status: number, body: string): void {
  const path = url.split('?')[0] ?? url;
  const match = templates.find((t) => t.regex.test(path));
  const operation = match && paths[match.template]?.[method.toLowerCase()];
  if (!match || !operation) {
    assert.ok([404, 400].includes(status), `undocumented route ${method} ${path} answered ${status}`);
    assert.ok(ajv.validate({ $ref: 'openapi.json#/components/schemas/Error' }, JSON.parse(body)));
    return;
  }
  const documented = operation.responses[String(status)];
  assert.ok(
    documented,
    `${method} ${match.template} answered ${status}, which the OpenAPI document does not list`,
  );
  if (!documented.content) {
    assert.equal(body, '', `${method} ${match.template} ${status} should have no body`);
    return;
  }
  const ref = `openapi.json#/paths/${pointer(match.template)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
  const valid = ajv.validate({ $ref: ref }, JSON.parse(body));
  assert.ok(
    valid,
    `${method} ${match.template} ${status} does not match the OpenAPI document: ${ajv.errorsText()}\n${body.slice(0, 500)}`,
  );
}
