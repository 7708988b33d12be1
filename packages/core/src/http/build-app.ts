import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

import multipart from '@fastify/multipart';
import { INVOCATION_LIMITS } from '@funless/protocol';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';

import { ActivationRecorder, AsyncInvocations, coreId } from '../activations/index.js';
import type { ActivationRecorderOptions, AsyncInvocationsOptions } from '../activations/index.js';
import { AccessPolicy, Authenticator, SignInCodes } from '../auth/index.js';
import { NoWorkersCluster } from '../cluster/index.js';
import type { Cluster, ClusterFactory } from '../cluster/index.js';
import { resolveCoreOptions } from '../config/index.js';
import type { CoreOptions, ResolvedCoreOptions } from '../config/index.js';
import { clusterLeaseFor } from '../lease/index.js';
import type { ClusterLease } from '../lease/index.js';
import { CoreMetrics } from '../metrics/index.js';
import { ParsedAppScripts, resolvePolicy } from '../scheduling/index.js';
import { CachedStore } from '../store/index.js';
import type { Store } from '../store/index.js';
import { LeaseScheduleOwner } from '../events/index.js';
import type { ScheduleOwner } from '../events/index.js';
import { ConnectionManager, EventRunner } from '../subscriptions/index.js';
import type { EventRunnerOptions } from '../subscriptions/index.js';
import type { AppContext } from './app-context.js';
import { createAuthHook } from './auth-hook.js';
import { CONSOLE_PATH, defaultConsoleDir, registerConsole } from './console-assets.js';
import { createErrorHandler, errorBody } from './error-handler.js';
import { routeAuth, undocumentedRoutes } from './openapi/openapi-document.js';
import { OPENAPI_DOCUMENT, ROUTES } from './routes/index.js';
import { toClusterFunction } from './to-cluster-function.js';
import { BadRequestError, checkJsonInput } from './validation.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The bytes of a JSON body, as the client sent them (undefined for other bodies). */
    rawBody: Buffer | undefined;
  }
}

export interface BuildAppOptions {
  /**
   * The store the routes use (`openStore` gives a `CachedStore`; any other store is put behind
   * one). The app does not close it.
   */
  store: Store;
  /**
   * The cluster, or a factory given the store and the app's HTTP server. The app owns it and
   * closes it when the app closes. @default a `NoWorkersCluster`
   */
  cluster?: Cluster | ClusterFactory;
  /** @default a pino logger at `options.logLevel` */
  logger?: Logger;
  /**
   * Who runs the once-per-cluster work (activation retention) among the Cores sharing the
   * database. The app owns it and closes it when the app closes.
   * @default advisory locks when `options.databaseUrl` is set, else this Core alone
   */
  lease?: ClusterLease;
  /** Core options (only the HTTP-related ones matter here). */
  options?: CoreOptions;
  /**
   * Settings of activation records and asynchronous invocations beyond the Core options (tests
   * shorten their intervals). Retention, count and queue come from `options`.
   */
  /**
   * The web console's built files, served at /ui. @default `dist/ui` of the `@funless/console`
   * package (a page saying how to build them when they are missing)
   */
  consoleDir?: string;
  activations?: {
    recorder?: Omit<ActivationRecorderOptions, 'retentionDays' | 'maxRecords'>;
    async?: Pick<
      AsyncInvocationsOptions,
      'pollIntervalMs' | 'deadlineMarginMs' | 'retryDelayMs' | 'workerWaitMs'
    >;
  };
  /** Settings of events and sinks beyond the Core options (tests shorten them). */
  events?: Pick<EventRunnerOptions, 'sinkAttempts' | 'sinkRetryMs'> & {
    /**
     * How often the Core reads the stored events and sinks to follow what other Cores changed, in
     * ms. @default 10_000
     */
    syncIntervalMs?: number;
    /** Who runs schedules. @default the Core that owns `SCHEDULES_LEASE` */
    scheduleOwner?: ScheduleOwner;
  };
}

/** How often a Core reads the stored events and sinks (what other Cores changed), in ms. */
export const EVENTS_SYNC_INTERVAL_MS = 10_000;

/** The once-per-cluster name of activation retention (docs/activations.md, "Retention"). */
export const RETENTION_LEASE = 'activation-retention';

/** Longest path parameter accepted: longer names get a 400 naming the rule instead of a 404. */
const MAX_PARAM_LENGTH = 65_536;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Largest JSON body, in bytes: an invocation's input limit plus room for the rest of the body
 * (`scheduling`). Larger bodies (function uploads) are multipart, under FL_BODY_LIMIT_BYTES.
 */
export const JSON_BODY_LIMIT_BYTES = INVOCATION_LIMITS.maxInputBytes + 64 * 1024;

/**
 * Errors Fastify raises before routing (a URL with a broken %-escape): 400 with the API's error
 * body. The onRequest hooks never ran for these, so the request id is set here too.
 */
function frameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .header('x-request-id', request.id)
    .status(400)
    .send(errorBody(`bad request: ${error.message}`));
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (a request too slow to arrive,
 * headers over 16 KiB, a malformed request line): answered with the API's error body and a request
 * id like every other answer, and the connection closed.
 */
function clientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, detail]: [number, string] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [
          408,
          'the request did not arrive within the time limits (FL_REQUEST_TIMEOUT_MS, FL_HEADERS_TIMEOUT_MS)',
        ]
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are larger than 16 KiB']
        : [400, `bad request: the HTTP parser refused it (${error.code ?? error.message})`];
  const body = JSON.stringify(errorBody(detail));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const isConsoleRoute = (url: string): boolean => url === CONSOLE_PATH || url.startsWith(`${CONSOLE_PATH}/`);

/** Stands in for Fastify's schema compilers; a route that declares a schema is a programming error. */
function noSchemas(): never {
  throw new Error('Core routes validate their own input and must not declare Fastify schemas');
}

/**
 * Builds the Core's Fastify app with every route registered (not listening). Test it with
 * `app.inject()`; `startCore` listens.
 */
export function buildApp(buildOptions: BuildAppOptions): FastifyInstance {
  const options: ResolvedCoreOptions = resolveCoreOptions(buildOptions.options);
  const logger = buildOptions.logger ?? pino({ level: options.logLevel });
  const app = Fastify({
    // With a certificate the API is HTTPS, and the Worker link on the same server wss.
    ...(options.tls === undefined ? {} : { https: { cert: options.tls.cert, key: options.tls.key } }),
    loggerInstance: logger,
    bodyLimit: options.bodyLimitBytes,
    // A client that sends its request too slowly (headers or body) gets a 408 and is disconnected;
    // node:http checks the running requests every connectionsCheckingInterval ms.
    requestTimeout: options.requestTimeoutMs,
    http: {
      requestTimeout: options.requestTimeoutMs,
      headersTimeout: options.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(options.headersTimeoutMs / 4))),
    },
    // A client's own X-Request-Id is kept when it looks like an id, so that logs can be joined.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    // The routes check their input themselves (validation.ts) and declare no JSON schemas, so
    // Fastify's Ajv and serializer compilers are never needed: not loading them saves ~4 MiB.
    schemaController: { compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas } },
    // Errors Fastify raises before routing (a URL with a broken %-escape) get the API's error body.
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  }) as unknown as FastifyInstance;

  const store =
    buildOptions.store instanceof CachedStore ? buildOptions.store : new CachedStore(buildOptions.store);
  const clusterOption = buildOptions.cluster ?? new NoWorkersCluster();
  // One registry per app, read from the cluster at every scrape (the cluster is built just below).
  const metrics = new CoreMetrics({ workers: () => cluster.workers() });
  const cluster: Cluster =
    typeof clusterOption === 'function'
      ? clusterOption({ store, server: app.server, logger, options, metrics })
      : clusterOption;
  const lease = buildOptions.lease ?? clusterLeaseFor(options.databaseUrl, logger);
  const appScripts = new ParsedAppScripts(store);
  const activations = new ActivationRecorder(
    store.activations,
    logger,
    {
      ...buildOptions.activations?.recorder,
      retentionDays: options.activationRetentionDays,
      maxRecords: options.activationMax,
    },
    metrics,
  );
  const lookup = async (module: string, name: string) => {
    const fn = await store.getFunction(module, name);
    return fn && toClusterFunction(fn);
  };
  const asyncInvocations = new AsyncInvocations(
    {
      store: store.activations,
      cluster,
      ids: activations.ids,
      lookup,
      policy: (scheduling) => resolvePolicy(scheduling, (n) => appScripts.get(n)),
      logger,
      metrics,
    },
    {
      ...buildOptions.activations?.async,
      queueMax: options.asyncQueueMax,
      concurrency: options.asyncConcurrency,
      invokeTimeoutMs: options.invokeTimeoutMs,
    },
  );
  const eventRunner = new EventRunner(
    {
      cluster,
      lookup,
      activations,
      metrics,
      logger,
    },
    {
      concurrency: options.eventConcurrency,
      invokeTimeoutMs: options.invokeTimeoutMs,
      ...(buildOptions.events?.sinkAttempts === undefined
        ? {}
        : { sinkAttempts: buildOptions.events.sinkAttempts }),
      ...(buildOptions.events?.sinkRetryMs === undefined
        ? {}
        : { sinkRetryMs: buildOptions.events.sinkRetryMs }),
    },
  );
  const scheduleOwner = buildOptions.events?.scheduleOwner ?? new LeaseScheduleOwner(lease);
  const connections = new ConnectionManager({
    store,
    runner: eventRunner,
    scheduleOwner,
    logger,
    sinkTimeoutMs: options.sinkTimeoutMs,
  });
  const context: AppContext = {
    store,
    cluster,
    authenticator: new Authenticator(store),
    access: new AccessPolicy(store),
    appScripts,
    activations,
    asyncInvocations,
    options,
    logger,
    openapi: OPENAPI_DOCUMENT,
    metrics,
    signInCodes: new SignInCodes(),
    connections,
    lease,
  };

  // An empty JSON body is allowed (an invocation without arguments); anything else must be UTF-8
  // and parse. The raw bytes stay on the request, for routes that pass part of them on as sent.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.decorateRequest('rawBody', undefined);
  // JSON bodies are invocations, with args inside INVOCATION_LIMITS.maxInputBytes: a larger one is
  // 413 before it is read in full (the body limit is for multipart uploads).
  const jsonBodyLimit = Math.min(JSON_BODY_LIMIT_BYTES, options.bodyLimitBytes);
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: jsonBodyLimit },
    (request, body, done) => {
      const raw = body as Buffer;
      if (!isUtf8(raw)) {
        done(new BadRequestError('malformed JSON body: it is not valid UTF-8'), undefined);
        return;
      }
      request.rawBody = raw;
      const text = raw.toString('utf8');
      if (text.trim() === '') {
        done(null, undefined);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        done(new BadRequestError(`malformed JSON body: ${(error as Error).message}`), undefined);
        return;
      }
      try {
        checkJsonInput('the JSON body', value);
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      done(null, value);
    },
  );
  void app.register(multipart, {
    limits: {
      fileSize: options.bodyLimitBytes,
      fieldSize: options.bodyLimitBytes,
      files: 8,
      fields: 16,
      parts: 24,
    },
  });

  app.decorateRequest('principal', undefined);
  // Who may call each route is what its operation in the API document says (x-fl-role).
  app.addHook('onRoute', (route) => {
    const method = [route.method].flat()[0] ?? 'GET';
    // The console's files are public (its pages call the API with a token, like any client).
    const auth = isConsoleRoute(route.url) ? 'public' : routeAuth(OPENAPI_DOCUMENT, method, route.url);
    route.config = { ...route.config, ...(auth === undefined ? {} : { auth }) };
  });
  app.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onRequest', createAuthHook(context.authenticator));
  app.setErrorHandler(createErrorHandler(options.bodyLimitBytes, jsonBodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url;
    return reply.status(404).send(errorBody(`no route ${request.method} ${url}`));
  });
  app.addHook('onReady', async () => {
    lease.run(RETENTION_LEASE, {
      start: () => activations.start(),
      stop: () => activations.stopPruning(),
    });
    // Asynchronous invocations need activation records: without them none are taken or run.
    const id = await coreId(options.dataDir);
    if (activations.enabled) await asyncInvocations.start(id);
    // The stored events and sinks: subscribed again, with the same persistent sessions.
    await connections.start(id, buildOptions.events?.syncIntervalMs ?? EVENTS_SYNC_INTERVAL_MS);
  });
  // New requests are refused (503) from here on. Running asynchronous invocations may finish first
  // (for at most shutdownTimeoutMs, as requests in flight), then the links close: before Fastify
  // closes the server, whose close() an upgraded link socket would keep waiting.
  app.addHook('preClose', async () => {
    // Messages not yet accepted stay unacknowledged at their brokers for the next start; those
    // running finish (their sinks included) within the same grace as requests.
    await Promise.all([
      asyncInvocations.close(options.shutdownTimeoutMs),
      eventRunner.close(options.shutdownTimeoutMs),
    ]);
    await connections.close();
    await scheduleOwner.close();
    cluster.closeLinks();
  });
  // What the cluster failed while closing is recorded; then every record still in memory is written.
  app.addHook('onClose', async () => {
    await cluster.close();
    await lease.close();
    await activations.close();
  });

  // Every route serves a documented operation and every operation has its route: checked as
  // the app gets ready, so that an undocumented route cannot be served.
  const served: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    if (isConsoleRoute(route.url)) return; // static files, not API operations
    for (const method of [route.method].flat()) served.push({ method, url: route.url });
  });
  app.addHook('onReady', (done) => {
    const problems = undocumentedRoutes(OPENAPI_DOCUMENT, served);
    done(
      problems.length === 0
        ? undefined
        : new Error(`the API document and the routes differ: ${problems.join('; ')}`),
    );
  });
  for (const routes of ROUTES) routes.register(app, context);
  registerConsole(app, 'consoleDir' in buildOptions ? buildOptions.consoleDir : defaultConsoleDir());
  return app;
}
