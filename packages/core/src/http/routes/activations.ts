import { ACTIVATION_ID_PATTERN, ErrorCode, FlError, LOG_STREAMS, isActivationId } from '@funless/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';

import { activationTime, firstIdAt } from '../../activations/index.js';
import { ACTIVATION_STATUSES, ACTIVATION_TRIGGERS } from '../../store/index.js';
import type {
  ActivationQuery,
  ActivationRecord,
  ActivationStatus,
  ActivationSummary,
} from '../../store/index.js';
import type { AppContext } from '../app-context.js';
import {
  COMMON_ERRORS,
  TOTAL_COUNT,
  data,
  error,
  minRole,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import { INVOKE_ROLE } from './invoke.js';
import { BadRequestError, queryParams, quote, validName } from '../validation.js';
import type { RouteModule } from './route-module.js';

/** What a list answers without `limit`, and the most it answers. */
export const ACTIVATION_LIST_LIMITS = { default: 50, max: 1000 } as const;

const FILTERS = ['module', 'function', 'status', 'since', 'until', 'limit', 'cursor'] as const;

/** An ISO 8601 date or date-time (a time zone or `Z` recommended), or milliseconds since the epoch. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** An activation as the API lists it. */
export interface ActivationSummaryJson {
  activation_id: string;
  module: string;
  function: string;
  hash: string | null;
  worker: string | null;
  trigger: string;
  subject: string | null;
  /** Where an event came from (topic, subject, cron); null for the API. */
  source: string | null;
  status: ActivationStatus;
  /** ISO time the Core accepted the invocation. */
  start: string;
  duration_ms: number | null;
  total_ms: number | null;
  result_truncated: boolean;
  logs_truncated: boolean;
}

function summaryJson(a: ActivationSummary): ActivationSummaryJson {
  return {
    activation_id: a.id,
    module: a.module,
    function: a.function,
    hash: a.hash,
    worker: a.worker,
    trigger: a.trigger,
    subject: a.subject,
    source: a.source ?? null,
    status: a.status,
    start: activationTime(a.id).toISOString(),
    duration_ms: a.durationMs,
    total_ms: a.totalMs,
    result_truncated: a.resultTruncated,
    logs_truncated: a.logsTruncated,
  };
}

/**
 * The whole record as JSON text. A whole result is the guest's JSON, relayed as its text (no number
 * rounded, nothing re-escaped); a cut one is a string of its first bytes.
 */
function recordText(a: ActivationRecord): string {
  const head = JSON.stringify({
    ...summaryJson(a),
    error: a.error,
    logs: a.logs,
    deliveries: a.deliveries ?? [],
  });
  const result = a.result === null ? 'null' : a.resultTruncated ? JSON.stringify(a.result) : a.result;
  return `{"data":${head.slice(0, -1)},"result":${result}}}`;
}

/** The cursor of the page after `id`: its 16 bytes, base64url. Clients pass it back as it is. */
function cursorOf(id: string): string {
  return Buffer.from(id, 'hex').toString('base64url');
}

function idOfCursor(cursor: string): string {
  const id = /^[A-Za-z0-9_-]{22}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('hex') : '';
  if (!isActivationId(id)) {
    throw new BadRequestError(
      `cursor ${quote(cursor)} is not one this API gave: pass next_cursor as it came`,
    );
  }
  return id;
}

function parseTime(name: string, value: string): number {
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : ISO_TIME.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) {
    throw new BadRequestError(
      `${name} ${quote(value)} is not a time: give an ISO 8601 time like 2026-01-31T12:00:00Z, or milliseconds since 1970`,
    );
  }
  return ms;
}

function parseLimit(value: string | undefined): number {
  if (value === undefined) return ACTIVATION_LIST_LIMITS.default;
  const n = /^\d{1,7}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= ACTIVATION_LIST_LIMITS.max)) {
    throw new BadRequestError(
      `limit must be an integer from 1 to ${ACTIVATION_LIST_LIMITS.max}, got ${quote(value)}`,
    );
  }
  return n;
}

function parseStatus(value: string): ActivationStatus {
  if (!(ACTIVATION_STATUSES as readonly string[]).includes(value)) {
    throw new BadRequestError(
      `status ${quote(value)} is unknown: use one of ${ACTIVATION_STATUSES.join(', ')}`,
    );
  }
  return value as ActivationStatus;
}

/** The list's filters, checked: 400 naming the first bad one. */
export function parseActivationFilters(
  params: Record<string, string>,
): ActivationQuery & { cursor?: string } {
  const query: ActivationQuery & { cursor?: string } = { limit: parseLimit(params.limit) };
  if (params.module !== undefined) query.module = validName('module', params.module);
  if (params.function !== undefined) query.function = validName('function', params.function);
  if (params.status !== undefined) query.status = parseStatus(params.status);
  const since = params.since === undefined ? undefined : parseTime('since', params.since);
  const until = params.until === undefined ? undefined : parseTime('until', params.until);
  if (since !== undefined && until !== undefined && since > until) {
    throw new BadRequestError(`since (${params.since}) is after until (${params.until})`);
  }
  if (since !== undefined) query.fromId = firstIdAt(since);
  // until is inclusive, to the millisecond.
  if (until !== undefined) query.belowId = firstIdAt(until + 1);
  if (params.cursor !== undefined) query.cursor = idOfCursor(params.cursor);
  return query;
}

/**
 * Who sees which activations: the admin all of them, a subject those of the functions it may
 * invoke. Invoking needs only a role (`INVOKE_ROLE`), the same for every function, so each route
 * here asks for that role and a subject that has it sees every activation. Should invoking come to
 * depend on the function, that rule belongs here, in the store's query of the list.
 */
const READ_ROLE = INVOKE_ROLE;

/** X-Total-Count is sent only up to this many: counting more would cost more than the page. */
export const COUNT_LIMIT = 10_000;

/**
 * Whether an index alone counts what `query` matches (docs/activations.md, "Reading"): every filter
 * but `status` together with `module` or `function`, which would read a row per match.
 */
function countIsCheap(query: ActivationQuery): boolean {
  return query.status === undefined || (query.module === undefined && query.function === undefined);
}

function notFound(id: string): FlError {
  return new FlError(ErrorCode.NotFound, `activation ${id} not found`);
}

function activationId(value: string): string {
  if (!isActivationId(value)) {
    throw new BadRequestError(`activation id ${quote(value)} is invalid: ids are 32 lowercase hex digits`);
  }
  return value;
}

const ID = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Activation id',
  schema: ref('ActivationId'),
} as const;

const query = (name: string, description: string, schema: Record<string, unknown>) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});

const SUMMARY_PROPERTIES = {
  activation_id: ref('ActivationId'),
  module: ref('Name'),
  function: ref('Name'),
  hash: { type: ['string', 'null'], description: 'Hex SHA-256 of the code that ran' },
  worker: { type: ['string', 'null'], description: 'The Worker that ran it; null when none was chosen' },
  trigger: {
    enum: ACTIVATION_TRIGGERS,
    description: 'http, async (blocking=false), or event:<type> for an event (docs/events.md)',
  },
  subject: { type: ['string', 'null'], description: 'The subject whose token started it' },
  source: {
    type: ['string', 'null'],
    description:
      'Where the event came from: the MQTT topic, the NATS subject, the cron expression; null for the API',
  },
  status: { enum: ACTIVATION_STATUSES },
  start: { type: 'string', format: 'date-time', description: 'When the Core accepted the invocation' },
  duration_ms: { type: ['number', 'null'], minimum: 0, description: 'Time in the guest' },
  total_ms: { type: ['number', 'null'], minimum: 0, description: 'Time in the platform' },
  result_truncated: { type: 'boolean' },
  logs_truncated: { type: 'boolean' },
} as const;

const LOG_LINE = {
  type: 'object',
  required: ['stream', 'text'],
  additionalProperties: false,
  properties: { stream: { enum: LOG_STREAMS }, text: { type: 'string' } },
} as const;

/** `GET /v1/activations`, `GET /v1/activations/:id`, `GET /v1/activations/:id/logs`. */
export const activationRoutes: RouteModule = {
  paths: {
    '/v1/activations': {
      get: {
        summary: 'List activations, newest first',
        ...minRole(READ_ROLE),
        parameters: [
          query('module', 'Only this module', ref('Name')),
          query('function', 'Only functions of this name', ref('Name')),
          query('status', 'Only this status', { enum: ACTIVATION_STATUSES }),
          query('since', 'Accepted at or after: ISO 8601 time, or ms since 1970', { type: 'string' }),
          query('until', 'Accepted at or before: ISO 8601 time, or ms since 1970', { type: 'string' }),
          query('limit', 'Most activations in the answer', {
            type: 'integer',
            minimum: 1,
            maximum: ACTIVATION_LIST_LIMITS.max,
            default: ACTIVATION_LIST_LIMITS.default,
          }),
          query('cursor', 'The next_cursor of the previous page', {
            type: 'string',
            pattern: '^[A-Za-z0-9_-]{22}$',
          }),
        ],
        responses: {
          '200': {
            ...response('Activations (without result, error and logs)', {
              type: 'object',
              required: ['data', 'next_cursor'],
              additionalProperties: false,
              properties: {
                data: { type: 'array', items: ref('ActivationSummary') },
                next_cursor: {
                  type: ['string', 'null'],
                  description: 'Pass it as cursor for the next page; null on the last one',
                },
              },
            }),
            headers: TOTAL_COUNT,
          },
          ...COMMON_ERRORS,
        },
      },
    },
    '/v1/activations/{id}': {
      get: {
        summary: 'Show an activation, whole',
        ...minRole(READ_ROLE),
        parameters: [ID],
        responses: {
          '200': response('The activation', data(ref('Activation'))),
          ...COMMON_ERRORS,
          '404': error('No such activation'),
        },
      },
    },
    '/v1/activations/{id}/logs': {
      get: {
        summary: "An activation's log lines",
        ...minRole(READ_ROLE),
        parameters: [ID],
        responses: {
          '200': response("The guest's lines, in order", {
            type: 'object',
            required: ['data', 'truncated'],
            additionalProperties: false,
            properties: {
              data: { type: 'array', items: LOG_LINE },
              truncated: { type: 'boolean', description: 'Lines were left out past the log limit' },
            },
          }),
          ...COMMON_ERRORS,
          '404': error('No such activation'),
        },
      },
    },
  },
  schemas: {
    ActivationId: {
      type: 'string',
      pattern: ACTIVATION_ID_PATTERN.source,
      description: '32 lowercase hex digits: 12 of the time the Core accepted the invocation (ms), 20 random',
    },
    ActivationSummary: {
      type: 'object',
      required: Object.keys(SUMMARY_PROPERTIES),
      additionalProperties: false,
      properties: SUMMARY_PROPERTIES,
    },
    Activation: {
      type: 'object',
      required: [...Object.keys(SUMMARY_PROPERTIES), 'error', 'result', 'logs', 'deliveries'],
      additionalProperties: false,
      properties: {
        ...SUMMARY_PROPERTIES,
        error: { type: ['string', 'null'], description: 'The error message; null on success' },
        result: {
          description:
            'The JSON result; when result_truncated, a string of its first bytes; null without a result',
        },
        logs: { type: 'array', items: LOG_LINE },
        deliveries: {
          type: 'array',
          description: 'How the result went to each sink of the function (docs/events.md); empty when none',
          items: {
            type: 'object',
            required: ['sink', 'type', 'status', 'attempts'],
            additionalProperties: false,
            properties: {
              sink: { type: 'integer', minimum: 0, description: "The sink's place in the function's sinks" },
              type: { type: 'string' },
              status: { enum: ['delivered', 'failed'] },
              attempts: { type: 'integer', minimum: 1 },
              error: { type: 'string', description: 'Why the last attempt failed' },
            },
          },
        },
      },
    },
  },
  register,
};

function register(app: FastifyInstance, { activations }: AppContext): void {
  app.get('/v1/activations', async (request, reply) => {
    const { cursor, ...filters } = parseActivationFilters(queryParams(request, FILTERS));
    const page: ActivationQuery = { ...filters, limit: filters.limit + 1 };
    if (cursor !== undefined && (page.belowId === undefined || cursor < page.belowId)) page.belowId = cursor;
    const [rows, counted] = await Promise.all([
      activations.list(page),
      countIsCheap(filters) ? activations.count(filters, COUNT_LIMIT + 1) : undefined,
    ]);
    const total = counted !== undefined && counted <= COUNT_LIMIT ? counted : undefined;
    const more = rows.length > filters.limit;
    const shown = more ? rows.slice(0, filters.limit) : rows;
    if (total !== undefined) void reply.header('x-total-count', total);
    return { data: shown.map(summaryJson), next_cursor: more ? cursorOf(shown.at(-1)!.id) : null };
  });

  const load = async (params: { id: string }) => {
    const id = activationId(params.id);
    const record = await activations.get(id);
    if (!record) throw notFound(id);
    return record;
  };

  app.get<{ Params: { id: string } }>('/v1/activations/:id', async (request, reply: FastifyReply) => {
    queryParams(request, []);
    const record = await load(request.params);
    return reply.type('application/json; charset=utf-8').send(recordText(record));
  });

  app.get<{ Params: { id: string } }>('/v1/activations/:id/logs', async (request) => {
    queryParams(request, []);
    const record = await load(request.params);
    return { data: record.logs, truncated: record.logsTruncated };
  });
}
