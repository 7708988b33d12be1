import { ErrorCode, FlError, NAME_MAX_LENGTH, NAME_PATTERN, NAME_RULE } from '@funless/protocol';
import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

/** Input that breaks the API's rules (HTTP 400). */
export class BadRequestError extends FlError {
  override readonly name = 'BadRequestError';
  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
  }
}

/** A body of the wrong media type (HTTP 415). */
export class UnsupportedMediaTypeError extends FlError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly statusCode = 415;
  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
  }
}

/** Deepest nesting of arrays and objects accepted in JSON input. */
export const MAX_JSON_DEPTH = 256;

/**
 * Refuses JSON input the platform could not pass on intact: nesting deeper than
 * {@link MAX_JSON_DEPTH} (turning it back into JSON for the Worker or the database would overflow
 * the stack), and numbers beyond a double's range (`JSON.parse` makes them Infinity, which JSON
 * would silently store as null). Iterative, so that the check itself cannot overflow.
 */
export function checkJsonInput(what: string, root: unknown): void {
  const values: unknown[] = [root];
  const depths: number[] = [0];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new BadRequestError(`${what} holds a number too large for a double (beyond ±1.8e308)`);
      }
    } else if (typeof value === 'object' && value !== null) {
      if (depth >= MAX_JSON_DEPTH) {
        throw new BadRequestError(
          `${what} is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
        );
      }
      for (const child of Array.isArray(value) ? value : Object.values(value)) {
        values.push(child);
        depths.push(depth + 1);
      }
    }
  }
}

/** Shortens user input quoted in an error message. */
export function quote(value: string, max = 40): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** Checks a module, function or subject name against the rule of docs/api.md, "Names". */
export function validName(what: string, value: unknown): string {
  if (typeof value !== 'string') {
    throw new BadRequestError(`${what} must be a string (${NAME_RULE})`);
  }
  if (value.length === 0 || value.length > NAME_MAX_LENGTH || !NAME_PATTERN.test(value)) {
    throw new BadRequestError(`${what} ${quote(value)} is invalid: ${NAME_RULE}`);
  }
  return value;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request's JSON body as an object; 415 for multipart, 400 for anything but an object. */
export function jsonObjectBody(request: FastifyRequest, example: string): Record<string, unknown> {
  if (request.isMultipart()) {
    throw new UnsupportedMediaTypeError(`this route takes a JSON body (application/json), like ${example}`);
  }
  if (!isPlainObject(request.body)) {
    throw new BadRequestError(`the body must be a JSON object, like ${example}`);
  }
  return request.body;
}

/** Refuses keys of `object` not in `allowed`, naming the first one. */
export function onlyKeys(what: string, object: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new BadRequestError(`${what} has an unknown field ${quote(key)} (known: ${allowed.join(', ')})`);
    }
  }
}

/** Refuses a body on a route that takes none (an empty JSON object is no body either). */
export function noBody(request: FastifyRequest, what: string): void {
  const body = request.body;
  if (body !== undefined && !(isPlainObject(body) && Object.keys(body).length === 0)) {
    throw new BadRequestError(`${what} takes no body (or an empty JSON object)`);
  }
}

/**
 * The request's query parameters, each given once: 400 for an unknown one (naming it and the known
 * ones) or a repeated one, so that a typo in a parameter name is not silently ignored.
 */
export function queryParams(request: FastifyRequest, allowed: readonly string[]): Record<string, string> {
  const query = (request.query ?? {}) as Record<string, string | string[] | undefined>;
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key)) {
      throw new BadRequestError(
        `unknown query parameter ${quote(key)}${allowed.length > 0 ? ` (known: ${allowed.join(', ')})` : ''}`,
      );
    }
    if (Array.isArray(value)) throw new BadRequestError(`query parameter ${key} is given more than once`);
    if (value !== undefined) params[key] = value;
  }
  return params;
}
