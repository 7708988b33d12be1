import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

import { BadRequestError, UnsupportedMediaTypeError, quote } from './validation.js';

/** The parts of a multipart body: every value as bytes, by part name. */
export type MultipartParts = Map<string, Buffer>;

/**
 * Reads a whole multipart body into memory (uploads are bounded by the body limit). Refuses
 * unknown and repeated parts by name; a non-multipart body is 415, a malformed one 400.
 */
export async function readMultipart(
  request: FastifyRequest,
  allowed: readonly string[],
  example: string,
): Promise<MultipartParts> {
  if (!request.isMultipart()) {
    throw new UnsupportedMediaTypeError(`this route takes a multipart/form-data body with parts ${example}`);
  }
  const parts: MultipartParts = new Map();
  try {
    for await (const part of request.parts()) {
      const name = part.fieldname;
      let value: Buffer;
      if (part.type === 'file') {
        value = await part.toBuffer();
      } else {
        if (part.valueTruncated) {
          throw new BadRequestError(`multipart part ${quote(name)} is larger than the body limit`);
        }
        // A part sent as application/json arrives parsed: turn it back into its text.
        value = Buffer.from(typeof part.value === 'string' ? part.value : JSON.stringify(part.value), 'utf8');
      }
      if (!allowed.includes(name)) {
        throw new BadRequestError(`unknown multipart part ${quote(name)} (known: ${allowed.join(', ')})`);
      }
      if (parts.has(name)) throw new BadRequestError(`multipart part ${quote(name)} is repeated`);
      parts.set(name, value);
    }
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status < 500) throw error;
    if (error instanceof BadRequestError) throw error;
    // @fastify/multipart fails with a TypeError on a part whose headers carry no name.
    if (error instanceof TypeError) {
      throw new BadRequestError(
        'malformed multipart body: a part without a name (each part needs Content-Disposition: form-data; name="…")',
      );
    }
    // busboy reports malformed bodies (no boundary, truncated parts) as plain errors.
    throw new BadRequestError(`malformed multipart body: ${(error as Error).message}`);
  }
  return parts;
}
