import { NAME_MAX_LENGTH, NAME_PATTERN, SubjectRole } from '@funless/protocol';

import type { AuthLevel } from '../auth-hook.js';
import { FORBIDDEN, ROLE_KEY, error } from './openapi-helpers.js';
import type { OpenApiObject, OpenApiPart } from './openapi-helpers.js';

/** The methods of an operation in a path item (the other keys, like `parameters`, are not operations). */
const OPERATION_METHODS = ['get', 'post', 'put', 'delete'] as const;

/** Schemas every route module may refer to. */
const SHARED_SCHEMAS: Record<string, OpenApiObject> = {
  Name: {
    type: 'string',
    pattern: NAME_PATTERN.source,
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
};

const ROLES: readonly string[] = Object.values(SubjectRole);

/** Who may call an operation: `public` when it needs no token, else its `x-fl-role`. */
function authOf(operation: OpenApiObject): AuthLevel | undefined {
  const security = operation.security;
  if (Array.isArray(security) && security.length === 0) return 'public';
  const role = operation[ROLE_KEY];
  return typeof role === 'string' && ROLES.includes(role) ? (role as SubjectRole) : undefined;
}

/**
 * Answers any route can give before its handler runs: a URL Fastify cannot decode (400) and a
 * request too slow to arrive (408, written by Node's HTTP server itself, without a body) on every
 * operation; on those that read a body, a body over the limit (413) or of a media type the route
 * does not take (415); on those a developer may call, a smaller role or another owner (403). Added
 * where an operation does not describe them more precisely.
 */
function addCommonErrors(paths: Record<string, OpenApiObject>): void {
  for (const item of Object.values(paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as OpenApiObject | undefined;
      const responses = operation?.responses as OpenApiObject | undefined;
      if (operation === undefined || responses === undefined) continue;
      if (operation[ROLE_KEY] === SubjectRole.Developer) responses['403'] ??= FORBIDDEN;
      responses['400'] ??= error('Bad request, e.g. a URL with a broken %-escape');
      responses['408'] ??= error(
        'The request did not arrive within the time limits (FL_REQUEST_TIMEOUT_MS, FL_HEADERS_TIMEOUT_MS); the connection is closed',
      );
      responses['431'] ??= error('Request headers larger than 16 KiB; the connection is closed');
      if (method === 'get') continue;
      responses['413'] ??= error('Body larger than the limit');
      responses['415'] ??= error('A body of a media type this route does not take');
    }
  }
}

/**
 * The OpenAPI 3.1 description of the REST API, assembled from what each route module declares
 * beside its handlers (`buildApp` refuses a route without its operation, and an operation without
 * its route). Throws when two modules declare the same operation or schema, or an operation says
 * neither who may call it (`x-fl-role`) nor that anyone may (`security: []`).
 */
export function assembleOpenApiDocument(parts: readonly OpenApiPart[]): OpenApiObject {
  const paths: Record<string, OpenApiObject> = {};
  const schemas: Record<string, OpenApiObject> = { ...SHARED_SCHEMAS };
  for (const part of parts) {
    for (const [template, item] of Object.entries(part.paths)) {
      const merged = (paths[template] ??= {});
      for (const [key, value] of Object.entries(structuredClone(item))) {
        if (key in merged) throw new Error(`OpenAPI: ${template} ${key} is declared twice`);
        merged[key] = value;
      }
    }
    for (const [name, schema] of Object.entries(part.schemas ?? {})) {
      if (name in schemas) throw new Error(`OpenAPI: schema ${name} is declared twice`);
      schemas[name] = schema;
    }
  }
  for (const [template, item] of Object.entries(paths)) {
    for (const method of OPERATION_METHODS) {
      const operation = item[method] as OpenApiObject | undefined;
      if (operation !== undefined && authOf(operation) === undefined) {
        throw new Error(
          `OpenAPI: ${method.toUpperCase()} ${template} needs ${ROLE_KEY} (${ROLES.join(', ')}) or security: []`,
        );
      }
    }
  }
  addCommonErrors(paths);
  return {
    openapi: '3.1.0',
    info: {
      title: 'FunLess Core API',
      version: '1.0.0',
      description:
        'The FunLess v1 REST API: modules, WebAssembly functions, invocations, subjects and APP ' +
        'scripts. Every error is {"errors":{"detail":"..."}}. Each operation names the least role ' +
        `that may call it in ${ROLE_KEY} (invoker < developer < admin).`,
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A subject token, or the admin token' },
      },
      schemas,
    },
  };
}

/**
 * Who may call the route `method` `url` (Fastify's form, `/v1/fn/:mod`), as the document says;
 * undefined for a route it does not describe. A HEAD route is its GET.
 */
export function routeAuth(document: OpenApiObject, method: string, url: string): AuthLevel | undefined {
  const key = (method === 'HEAD' ? 'GET' : method).toLowerCase();
  for (const [template, item] of Object.entries(document.paths as Record<string, OpenApiObject>)) {
    const operation = item[key] as OpenApiObject | undefined;
    if (operation !== undefined && fastifyPath(template) === url) return authOf(operation);
  }
  return undefined;
}

/** The Fastify form of an OpenAPI path template: `/v1/fn/{mod}` is `/v1/fn/:mod`. */
export function fastifyPath(template: string): string {
  return template.replace(/\{([^}]+)\}/g, ':$1');
}

/**
 * What differs between the routes an app serves and the operations a document describes, one
 * sentence per difference; empty when they agree. HEAD routes (Fastify's, beside each GET) are not
 * operations.
 */
export function undocumentedRoutes(
  document: OpenApiObject,
  routes: readonly { method: string; url: string }[],
): string[] {
  const documented = new Set<string>();
  for (const [template, item] of Object.entries(document.paths as Record<string, OpenApiObject>)) {
    for (const method of OPERATION_METHODS) {
      if (item[method] !== undefined) documented.add(`${method.toUpperCase()} ${fastifyPath(template)}`);
    }
  }
  const served = new Set(routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${r.url}`));
  return [
    ...[...served].filter((r) => !documented.has(r)).map((r) => `route ${r} has no OpenAPI operation`),
    ...[...documented].filter((r) => !served.has(r)).map((r) => `OpenAPI operation ${r} has no route`),
  ];
}
