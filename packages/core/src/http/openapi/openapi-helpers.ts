import type { SubjectRole } from '@funless/protocol';

/**
 * The pieces route modules describe their operations with (OpenAPI 3.1, JSON Schema 2020-12).
 * Each route module declares the paths it serves beside its handlers; `assembleOpenApiDocument`
 * puts them together.
 */

/** A JSON Schema, or any other part of the document, as plain JSON. */
export type OpenApiObject = Record<string, unknown>;

/** Operations by OpenAPI path template (`/v1/fn/{mod}`), then by method (`get`, `post`, …). */
export type OpenApiPaths = Record<string, OpenApiObject>;

/** What one route module adds to the document. */
export interface OpenApiPart {
  /** The operations these routes serve, by OpenAPI path template. */
  paths: OpenApiPaths;
  /** Schemas the operations refer to with `ref(name)`, added to `components.schemas`. */
  schemas?: Record<string, OpenApiObject>;
}

/** A reference to `components.schemas.<name>`. */
export const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

/** A JSON body of this schema (a request body's or a response's `content`). */
export const json = (schema: unknown): { content: { 'application/json': { schema: unknown } } } => ({
  content: { 'application/json': { schema } },
});

/** A response with a JSON body of `schema`, or with no body. */
export const response = (description: string, schema?: unknown): OpenApiObject =>
  schema === undefined ? { description } : { description, ...json(schema) };

/** An error response: `{"errors": {"detail": "..."}}`. */
export const error = (description: string): OpenApiObject => response(description, ref('Error'));

/** The API's envelope around a successful answer: `{"data": <schema>}`. */
export const data = (schema: unknown): OpenApiObject => ({
  type: 'object',
  required: ['data'],
  additionalProperties: false,
  properties: { data: schema },
});

/** A path parameter holding a module, function, subject or script name. */
export const nameParam = (name: string, what: string): OpenApiObject => ({
  name,
  in: 'path',
  required: true,
  description: `${what} name`,
  schema: ref('Name'),
});

/**
 * The key of an operation naming the least role that may call it (docs/api.md, "Roles and
 * ownership"). Every operation has one, or `security: []` when it needs no token; the routes are
 * enforced from it.
 */
export const ROLE_KEY = 'x-fl-role';

/** Marks an operation as callable with `role` or a role above it. */
export const minRole = (role: SubjectRole): OpenApiObject => ({ [ROLE_KEY]: role });

/** The answer of a developer operation to a smaller role, or to a subject that may not change the thing. */
export const FORBIDDEN = error(
  "The caller's role does not allow this, or the module, function or script belongs to another subject: the detail names its owner and what would allow it",
);

/** The errors every authenticated operation can answer. */
export const COMMON_ERRORS = {
  '400': error('Invalid input: the detail names what is wrong'),
  '401': error('Missing or invalid token'),
  '503': error('The database is unavailable: the detail says why'),
} as const;

/** The request body of an operation that takes none: no body, or an empty JSON object. */
export const NO_BODY: OpenApiObject = {
  required: false,
  ...json({ type: 'object', maxProperties: 0, description: 'No body, or an empty object' }),
};

/** The header of every list answer. */
export const TOTAL_COUNT = {
  'X-Total-Count': { description: 'Number of items in the list', schema: { type: 'integer', minimum: 0 } },
} as const;

/**
 * A multipart field holding JSON text, with the schema that text must meet (`contentSchema`,
 * which the tests apply to the parsed field).
 */
export const jsonField = (description: string, schema: OpenApiObject, example?: string): OpenApiObject => ({
  type: 'string',
  description,
  contentMediaType: 'application/json',
  contentSchema: schema,
  ...(example === undefined ? {} : { examples: [example] }),
});
