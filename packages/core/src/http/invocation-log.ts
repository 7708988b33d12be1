import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** What every log line of one invocation carries, beside its request's `reqId`. */
export interface InvocationLogFields {
  module: string;
  function: string;
  /** The invocation's activation record, once it has one: the recorder sets it here. */
  activationId?: string;
}

/**
 * The one place an invocation's ids join its log lines: binds `fields` to the request's logger,
 * so that every line logged for the request from here on (its errors, Fastify's `request
 * completed`) carries them with the request id. See docs/configuration.md, "Logs".
 */
export function bindInvocationLog(
  request: FastifyRequest,
  reply: FastifyReply,
  fields: InvocationLogFields,
): void {
  const log = request.log.child(fields);
  invocationLoggers.add(log);
  request.log = log;
  reply.log = log;
}

/** The loggers `bindInvocationLog` made: each one request's own, so its bindings may change. */
const invocationLoggers = new WeakSet<object>();

/**
 * Adds the invocation's activation id to its log lines once the recorder made it. The request's
 * logger is already the invocation's own (`bindInvocationLog`), so the id is added to its bindings
 * rather than through another child: a pino child costs tens of µs (it rebuilds its level
 * methods), measured as most of what recording cost an invocation.
 */
export function bindActivationId(request: FastifyRequest, reply: FastifyReply, activationId: string): void {
  if (invocationLoggers.has(request.log)) {
    (request.log as unknown as Logger).setBindings({ activationId });
    return;
  }
  // Not the invocation's own logger (shared by other requests): a child, then.
  const log = request.log.child({ activationId });
  request.log = log;
  reply.log = log;
}
