import {
  ACTIVATION_ID_HEADER,
  CHAIN_DEPTH_HEADER,
  ErrorCode,
  FlError,
  INVOCATION_LIMITS,
  SubjectRole,
} from '@funless/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { runInvocation } from '../../activations/index.js';
import type { InvokeOptions } from '../../cluster/index.js';
import { ActivationTrigger } from '../../store/index.js';
import { SCHEDULING_LANGUAGES, SchedulingLanguage, resolvePolicy } from '../../scheduling/index.js';
import type { SchedulingRequest } from '../../scheduling/index.js';
import type { AppContext } from '../app-context.js';
import { bindActivationId, bindInvocationLog } from '../invocation-log.js';
import {
  COMMON_ERRORS,
  data,
  error,
  json,
  minRole,
  nameParam,
  ref,
  response,
} from '../openapi/openapi-helpers.js';
import type { OpenApiObject } from '../openapi/openapi-helpers.js';
import {
  BadRequestError,
  UnsupportedMediaTypeError,
  isPlainObject,
  onlyKeys,
  queryParams,
  validName,
} from '../validation.js';
import { jsonMemberBytes } from '../raw-json.js';
import { toClusterFunction } from '../to-cluster-function.js';
import type { RouteModule } from './route-module.js';

const EXAMPLE = '{"args":{"name":"Ada"}}';
/** The input of an invocation without `args`. */
const NO_ARGS = Buffer.from('{}');
/** What the answer wraps around the guest's raw result: `{"data":<result>}`. */
const DATA_OPEN = Buffer.from('{"data":');
const DATA_CLOSE = Buffer.from('}');
/** Answers up to this size are sent as text (see the handler). */
const SMALL_ANSWER_BYTES = 16 * 1024;

function parseScheduling(value: unknown): SchedulingRequest {
  const example = '{"language":"app","script":"<name>"}';
  if (!isPlainObject(value)) throw new BadRequestError(`scheduling must be an object like ${example}`);
  onlyKeys('scheduling', value, ['language', 'script']);
  // An unknown language is refused by resolvePolicy, which names it.
  if (typeof value.language !== 'string') {
    throw new BadRequestError(
      `scheduling.language must be a string, one of ${SCHEDULING_LANGUAGES.map((l) => `"${l}"`).join(', ')}`,
    );
  }
  const scheduling: SchedulingRequest = { language: value.language };
  if (value.script !== undefined) scheduling.script = validName('scheduling.script', value.script);
  return scheduling;
}

/** The name of the chain-depth header as documents and messages spell it. */
const CHAIN_DEPTH_NAME = 'X-Fl-Chain-Depth';

/**
 * The depth of the call chain this request belongs to: 0 from a client, d + 1 from a function
 * running at depth d (its Worker sets the header). Refused at once, before anything is looked up,
 * when over `maxChainDepth`.
 */
function chainDepth(request: FastifyRequest, maxChainDepth: number): number {
  const raw = request.headers[CHAIN_DEPTH_HEADER];
  if (raw === undefined) return 0;
  const value = Array.isArray(raw) ? undefined : raw.trim();
  if (value === undefined || !/^\d{1,9}$/.test(value)) {
    throw new BadRequestError(
      `${CHAIN_DEPTH_NAME} must be one non-negative integer (the depth of a chain of functions calling functions), got ${JSON.stringify(raw)}`,
    );
  }
  const depth = Number(value);
  if (depth > maxChainDepth) {
    throw new FlError(
      ErrorCode.ChainTooDeep,
      `this invocation is at depth ${depth} of a chain of functions calling functions through the API, deeper than the ${maxChainDepth} this Core allows (FL_MAX_CHAIN_DEPTH): refused before it ran`,
    );
  }
  return depth;
}

/** `?blocking=false` (OpenWhisk's parameter): answer 202 at once, run the invocation later. */
function isBlocking(value: string | undefined): boolean {
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  throw new BadRequestError(`blocking must be "true" or "false", got ${JSON.stringify(value)}`);
}

/** The activation id, on every answer of an invocation that has a record. */
const ACTIVATION_HEADER = {
  [ACTIVATION_ID_HEADER]: {
    description: 'The id of the activation record of this invocation (absent when recording is off)',
    schema: ref('ActivationId'),
  },
} as const;

/** The documented answers of an invocation, each with the activation id header. */
function withActivationId(answers: Record<string, OpenApiObject>): Record<string, OpenApiObject> {
  return Object.fromEntries(
    Object.entries(answers).map(([status, answer]) => [status, { ...answer, headers: ACTIVATION_HEADER }]),
  );
}

/**
 * The least role that may invoke a function. Any subject with it may invoke every function, so it
 * is also the whole rule of who sees which activation records (routes/activations.ts).
 */
export const INVOKE_ROLE: SubjectRole = SubjectRole.Invoker;

/**
 * `POST /v1/fn/:mod/:fn`: runs the function on a Worker and answers its JSON result; with
 * `?blocking=false`, stores the invocation and answers 202 with its activation id.
 */
export const invokeRoutes: RouteModule = {
  paths: {
    '/v1/fn/{mod}/{fn}': {
      post: {
        summary: 'Invoke a function (any role)',
        ...minRole(INVOKE_ROLE),
        parameters: [
          nameParam('mod', 'Module'),
          nameParam('fn', 'Function'),
          {
            name: CHAIN_DEPTH_NAME,
            in: 'header',
            required: false,
            description:
              'Depth of a chain of functions calling functions: set by Workers on the outbound requests of a function (its own depth + 1), absent (0) from clients. Over FL_MAX_CHAIN_DEPTH it is refused with 508',
            schema: { type: 'integer', minimum: 0, maximum: 999_999_999 },
          },
          {
            name: 'blocking',
            in: 'query',
            required: false,
            description:
              'false: store the invocation, answer 202 with its activation id at once, and run it later (docs/activations.md)',
            schema: { type: 'string', enum: ['true', 'false'], default: 'true' },
          },
        ],
        requestBody: {
          required: false,
          // JSON null is taken as no body, like an empty one.
          ...json({ oneOf: [ref('InvokeRequest'), { type: 'null' }] }),
        },
        // Any answer once the function was found may name its record: the cluster can fail an
        // invocation with any error code.
        responses: withActivationId({
          '200': response('The JSON result of the function', data({})),
          '202': response(
            'blocking=false: the invocation is stored and will run; its record tells how it went',
            data({
              type: 'object',
              required: ['activation_id'],
              additionalProperties: false,
              properties: { activation_id: ref('ActivationId') },
            }),
          ),
          ...COMMON_ERRORS,
          '404': error('No such module, function or APP script'),
          '415': error('Not a JSON body'),
          '413': error('The body, or its args, is larger than the input limit'),
          '422': error(
            'The function failed ("Error: <message>"), or its result is not UTF-8 JSON or is over the result limit',
          ),
          '500': error('A fault of the platform (logged with the request id)'),
          '503': error(
            'No Worker available, the Worker was lost, it is overloaded, or the database is unavailable; blocking=false: the queue of asynchronous invocations is full (the detail gives its limit) or recording is off',
          ),
          '504': error(
            'The invocation passed its time limit; the detail says whether it started (or waited in a queue and was dropped, so it did not run)',
          ),
          '508': error(
            'The invocation is deeper in a chain of functions calling functions than FL_MAX_CHAIN_DEPTH (chain_too_deep); nothing ran',
          ),
        }),
      },
    },
  },
  schemas: {
    InvokeRequest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        args: {
          type: ['object', 'null'],
          description: 'The function input, passed to it as the bytes sent; null or absent is {}',
          default: {},
        },
        scheduling: {
          type: 'object',
          required: ['language'],
          additionalProperties: false,
          properties: { language: { enum: SCHEDULING_LANGUAGES }, script: ref('Name') },
          // A script is named with language "app", and only then.
          if: { properties: { language: { const: SchedulingLanguage.App } } },
          then: { required: ['script'] },
          else: { not: { required: ['script'] } },
        },
      },
    },
  },
  register,
};

function register(
  app: FastifyInstance,
  { cluster, store, appScripts, options, activations, asyncInvocations }: AppContext,
): void {
  app.post<{ Params: { mod: string; fn: string } }>('/v1/fn/:mod/:fn', async (request, reply) => {
    const depth = chainDepth(request, options.maxChainDepth);
    const module = validName('module name', request.params.mod);
    const name = validName('function name', request.params.fn);
    bindInvocationLog(request, reply, { module, function: name });
    const blocking = isBlocking(queryParams(request, ['blocking']).blocking);
    if (request.isMultipart()) {
      throw new UnsupportedMediaTypeError(`invocations take a JSON body (application/json), like ${EXAMPLE}`);
    }
    // No body at all is an invocation without arguments.
    const body = request.body ?? {};
    if (!isPlainObject(body)) throw new BadRequestError(`the body must be a JSON object, like ${EXAMPLE}`);
    onlyKeys('the body', body, ['args', 'scheduling']);
    const args = body.args ?? {};
    if (!isPlainObject(args)) throw new BadRequestError(`args must be a JSON object, like ${EXAMPLE}`);
    // The guest gets the bytes the client sent (checked above), not a re-encoding of them.
    const input =
      body.args === undefined || body.args === null
        ? NO_ARGS
        : ((request.rawBody && jsonMemberBytes(request.rawBody, 'args')) ?? NO_ARGS);
    if (input.byteLength > INVOCATION_LIMITS.maxInputBytes) {
      throw new FlError(
        ErrorCode.TooLarge,
        `args of ${input.byteLength} bytes are larger than the input limit of ${INVOCATION_LIMITS.maxInputBytes} bytes`,
      );
    }
    const invokeOptions: InvokeOptions = { timeoutMs: options.invokeTimeoutMs, chainDepth: depth };
    const scheduling = body.scheduling === undefined ? undefined : parseScheduling(body.scheduling);
    if (scheduling !== undefined) {
      // Resolved once, here: an unknown script (404) or a script with language "none" (400) is
      // refused before anything is placed, and the cluster places by what this resolved.
      invokeOptions.policy = await resolvePolicy(scheduling, (n) => appScripts.get(n));
    }

    const record = await store.getFunction(module, name);
    if (!record) {
      if (!(await store.getModule(module)))
        throw new FlError(ErrorCode.NotFound, `module ${module} not found`);
      throw new FlError(ErrorCode.NotFound, `function ${module}/${name} not found`);
    }
    const fn = toClusterFunction(record);
    const subject = request.principal?.name ?? null;
    if (!blocking) {
      if (!activations.enabled) {
        throw new FlError(
          ErrorCode.Unavailable,
          'asynchronous invocations are off on this Core: they need activation records, and FL_ACTIVATION_MAX or FL_ACTIVATION_RETENTION_DAYS is 0',
        );
      }
      // Durable before the answer: a Core that stops now runs it after its restart.
      const id = await asyncInvocations.submit({ fn, input, scheduling, subject, chainDepth: depth });
      bindActivationId(request, reply, id);
      return reply
        .status(202)
        .header(ACTIVATION_ID_HEADER, id)
        .send({ data: { activation_id: id } });
    }
    let result: Uint8Array;
    if (activations.enabled) {
      const id = activations.ids.next();
      void reply.header(ACTIVATION_ID_HEADER, id);
      bindActivationId(request, reply, id);
      // Time in the platform counts from the request's arrival (reply.elapsedTime).
      const run = await runInvocation(
        cluster,
        fn,
        input,
        invokeOptions,
        () => Math.round(reply.elapsedTime * 1000) / 1000,
      );
      // Written behind the answer, in a batch: the invocation does not wait for the database.
      activations.record({
        id,
        module,
        function: name,
        trigger: ActivationTrigger.Http,
        subject,
        ...run.outcome,
      });
      if (!run.ok) throw run.error;
      result = run.result;
    } else {
      result = await cluster.invoke(fn, input, invokeOptions);
    }
    // The Worker checked the result (UTF-8 JSON within the limit): it is relayed as its bytes.
    const answer = Buffer.concat([DATA_OPEN, result, DATA_CLOSE]);
    // A small answer goes as text: Node writes the headers and a string body in one write, a Buffer
    // body in a second one (measurably slower per request). Valid UTF-8 decodes and encodes back to
    // the same bytes, so the client gets the guest's bytes either way.
    return reply
      .type('application/json; charset=utf-8')
      .send(answer.length <= SMALL_ANSWER_BYTES ? answer.toString('utf8') : answer);
  });
}
