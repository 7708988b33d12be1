import { ErrorCode, isErrorPayload } from '@funless/protocol';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

import { storageUnavailable, storageUnavailableCause } from '../store/index.js';

/** HTTP status of each error code. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCode.BadRequest]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.InvalidModule]: 400,
  [ErrorCode.NoWorker]: 503,
  [ErrorCode.GuestError]: 422,
  [ErrorCode.Trap]: 422,
  [ErrorCode.Timeout]: 504,
  [ErrorCode.MemoryLimit]: 422,
  [ErrorCode.NoResult]: 422,
  [ErrorCode.ResultNotJson]: 422,
  [ErrorCode.ResultTooLarge]: 422,
  [ErrorCode.BadReturnCode]: 422,
  [ErrorCode.TooLarge]: 413,
  [ErrorCode.WorkerLost]: 503,
  [ErrorCode.Overloaded]: 503,
  [ErrorCode.ChainTooDeep]: 508,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.Internal]: 500,
};

/** Codes of a failed function run: their detail reads `Error: <message>` (FunLess's format). */
const GUEST_FAILURES: ReadonlySet<string> = new Set([
  ErrorCode.GuestError,
  ErrorCode.Trap,
  ErrorCode.MemoryLimit,
  ErrorCode.NoResult,
  ErrorCode.ResultNotJson,
  ErrorCode.ResultTooLarge,
  ErrorCode.BadReturnCode,
]);

/** The JSON body of every error response. */
export interface ErrorBody {
  errors: { detail: string };
}

export function errorBody(detail: string): ErrorBody {
  return { errors: { detail } };
}

function isCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && code in STATUS_BY_CODE;
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Fastify's own 4xx errors, reworded so that users know what to fix. */
function fastifyDetail(error: FastifyError, request: FastifyRequest, limits: BodyLimits): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return `unsupported content type ${JSON.stringify(request.headers['content-type'] ?? '')}: send application/json, or multipart/form-data for function uploads`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      if (mediaType(request) === 'application/json') {
        return `JSON body is larger than the limit of ${limits.json} bytes (an invocation's input limit plus room for the rest of the body; send function uploads as multipart/form-data)`;
      }
      return `request body is larger than the limit of ${limits.body} bytes (FL_BODY_LIMIT_BYTES)`;
    case 'FST_REQ_FILE_TOO_LARGE':
      return `request body is larger than the limit of ${limits.body} bytes (FL_BODY_LIMIT_BYTES)`;
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return `too many multipart parts (${error.message})`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Content-Length does not match the body';
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return 'a multipart part declared as application/json is not valid JSON';
    case 'FST_PROTO_VIOLATION':
      return 'a multipart part has a forbidden name';
    default:
      return error.message;
  }
}

/** The body limits the messages name, in bytes. */
interface BodyLimits {
  /** Any body (function uploads): FL_BODY_LIMIT_BYTES. */
  body: number;
  /** A JSON body. */
  json: number;
}

/**
 * The one place errors become HTTP responses: `FlError` codes by `STATUS_BY_CODE`, Fastify's 4xx
 * errors with reworded messages, a database that does not answer a 503 naming it, anything else a
 * logged 500 with no internals shown.
 */
export function createErrorHandler(bodyLimit: number, jsonBodyLimit: number) {
  const limits: BodyLimits = { body: bodyLimit, json: jsonBodyLimit };
  return function errorHandler(
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ): FastifyReply {
    const explicitStatus = (error as { statusCode?: unknown }).statusCode;
    if (isErrorPayload(error) && isCode(error.code) && error.code !== ErrorCode.Internal) {
      const status = typeof explicitStatus === 'number' ? explicitStatus : STATUS_BY_CODE[error.code];
      const detail = GUEST_FAILURES.has(error.code) ? `Error: ${error.message}` : error.message;
      if (status >= 500) request.log.warn({ code: error.code }, detail);
      return reply.status(status).send(errorBody(detail));
    }
    if (typeof explicitStatus === 'number' && explicitStatus >= 400 && explicitStatus < 500) {
      let status = explicitStatus;
      let detail = fastifyDetail(error, request, limits);
      if (error.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') status = 415;
      if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        detail = `malformed JSON body: ${error.message}`;
      }
      return reply.status(status).send(errorBody(detail));
    }
    const storageCause = storageUnavailableCause(error);
    if (storageCause !== undefined) {
      const detail = storageUnavailable(storageCause).message;
      request.log.warn({ code: ErrorCode.Unavailable, err: error }, detail);
      return reply.status(STATUS_BY_CODE[ErrorCode.Unavailable]).send(errorBody(detail));
    }
    request.log.error({ err: error }, 'request failed');
    return reply
      .status(500)
      .send(errorBody('internal error: the Core logged the details with this request id'));
  };
}
