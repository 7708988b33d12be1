import { isUtf8 } from 'node:buffer';

import { checkJsonInput, isPlainObject } from '../http/validation.js';

const PAYLOAD_OPEN = Buffer.from('{"payload":');
const CLOSE = Buffer.from('}');

/**
 * The invocation's `args` for a message payload (docs/events.md, "From message to args"): a JSON
 * object is the args as its bytes; other JSON (a number, a string, an array) becomes
 * `{"payload": <it>}`; UTF-8 text that is not JSON becomes `{"payload": "<text>"}`; bytes that are
 * not UTF-8 become `{"payload_base64": "…"}`.
 */
export function payloadArgs(payload: Uint8Array): Uint8Array {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (!isUtf8(bytes)) return Buffer.from(JSON.stringify({ payload_base64: bytes.toString('base64') }));
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
    checkJsonInput('the payload', value);
  } catch {
    return Buffer.from(JSON.stringify({ payload: text }));
  }
  if (isPlainObject(value)) return bytes;
  return Buffer.concat([PAYLOAD_OPEN, Buffer.from(text.trim()), CLOSE]);
}
