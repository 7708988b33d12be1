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

/** Shortens user input quoted in an error message. */
export function quote(value: string, max = 40): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** Checks a module, function or subject name against the rule of DESIGN.md section 2. */
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
