import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';

import { BadRequestError, UnsupportedMediaTypeError, quote } from './validation.js';

/**
 * How long the multipart parser may hold a body it stopped reading, in ms. @fastify/busboy stops
 * for good on a part without `Content-Disposition` larger than its 16 KiB buffer: it pauses the
 * request and never resumes it. A client still sending is not that (the request flows, waiting).
 */
export const MULTIPART_STALL_MS = 1000;

const STALL_MESSAGE =
  'malformed multipart body: the parser stopped on it (each part needs Content-Disposition: form-data; name="…")';

/**
 * Rejects when `request`'s body has been paused by its reader (the parser), with no byte read, for
 * `MULTIPART_STALL_MS`. `stop()` ends the watch.
 */
function watchStall(request: FastifyRequest): { stalled: Promise<never>; stop(): void } {
  const raw = request.raw;
  let read = 0;
  const onData = (chunk: Buffer): void => {
    read += chunk.byteLength;
  };
  raw.on('data', onData);
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_resolve, reject) => {
    let seen = -1;
    let still = 0;
    const checks = 4;
    timer = setInterval(() => {
      if (read === seen && raw.isPaused() && !raw.readableEnded) still += 1;
      else still = 0;
      seen = read;
      if (still >= checks) reject(new BadRequestError(STALL_MESSAGE));
    }, MULTIPART_STALL_MS / checks);
  });
  // Nothing else may see this rejection but the race in readMultipart.
  stalled.catch(() => {});
  return {
    stalled,
    stop() {
      clearInterval(timer);
      raw.off('data', onData);
    },
  };
}

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
  const collect = async (): Promise<void> => {
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
  };
  const collecting = collect();
  // A stalled parser never settles `collecting`; it must not reject unseen later either.
  collecting.catch(() => {});
  // Watched once the parser reads the body: the watch's 'data' listener must not start the body
  // flowing before then.
  const watch = watchStall(request);
  try {
    await Promise.race([collecting, watch.stalled]);
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
  } finally {
    watch.stop();
  }
  return parts;
}
