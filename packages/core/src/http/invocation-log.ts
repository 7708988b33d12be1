import type { FastifyReply, FastifyRequest } from 'fastify';

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
  request.log = log;
  reply.log = log;
}

/**
 * Adds the invocation's activation id to its log lines once the recorder made it (after
 * `bindInvocationLog`, so that the lines before it carry the function already).
 */
export function bindActivationId(request: FastifyRequest, reply: FastifyReply, activationId: string): void {
  const log = request.log.child({ activationId });
  request.log = log;
  reply.log = log;
}
