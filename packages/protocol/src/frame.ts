/**
 * Binary-safe framing of link messages: each message is one binary WebSocket frame,
 *
 *   byte 0      frame format (1)
 *   bytes 1-4   header length H, unsigned 32-bit big-endian
 *   bytes 5..   H bytes of UTF-8 JSON: the message without its `code`
 *   the rest    the raw code, for the messages that carry one (`store`, `code_reply` with ok)
 *
 * so code is never base64-inflated and never parsed as JSON. Decoding checks the bounds in
 * `LINK_LIMITS`, the message type and every field, and throws `LinkProtocolError` naming what is
 * wrong: a peer's bad frame closes its connection, it never reaches the handlers.
 */
import { Buffer } from 'node:buffer';

import { ErrorCode, FlError, isErrorPayload } from './errors.js';
import type { CoreMessage, LinkMessage, LinkMessageType, WorkerMessage } from './messages.js';
import { LINK_LIMITS } from './messages.js';

const FRAME_FORMAT = 1;
const PREFIX_BYTES = 5;

/** A frame or message that breaks the link protocol. */
export class LinkProtocolError extends FlError {
  override readonly name = 'LinkProtocolError';
  constructor(message: string) {
    super(ErrorCode.BadRequest, `link protocol: ${message}`);
  }
}

type FieldKind = 'string' | 'int' | 'number' | 'boolean' | 'error' | 'any' | 'string?' | 'error?' | 'refs';

const COMMON_REF = { module: 'string', name: 'string', hash: 'string' } as const;

/** Each message type's fields and their kinds; `code` is the payload and not listed. */
const SCHEMAS: Record<LinkMessageType, Record<string, FieldKind>> = {
  challenge: { protocol: 'int', nonce: 'string', core: 'string' },
  join_accepted: { core: 'string', proof: 'string', reportIntervalMs: 'int', livenessTimeoutMs: 'int' },
  join_refused: { error: 'error' },
  store: { id: 'int', ...COMMON_REF },
  drop: { id: 'int', module: 'string', name: 'string', hash: 'string?' },
  sync: { functions: 'refs', last: 'boolean' },
  invoke: { id: 'int', ...COMMON_REF, capacityMiB: 'int', input: 'any', timeoutMs: 'int' },
  code_reply: { id: 'int', ok: 'boolean', error: 'error?' },
  ping: { at: 'number' },
  pong: { at: 'number' },
  join: {
    protocol: 'int',
    name: 'string',
    tag: 'string',
    memoryTotalMiB: 'number',
    memoryFreeMiB: 'number',
    threads: 'int',
    version: 'string',
    nonce: 'string',
    proof: 'string',
  },
  report: { memoryTotalMiB: 'number', memoryFreeMiB: 'number', reservedMiB: 'number', running: 'int' },
  ack: { id: 'int', error: 'error?' },
  result: { id: 'int', result: 'any', durationMs: 'number' },
  invoke_error: { id: 'int', error: 'error' },
  code_request: { id: 'int', ...COMMON_REF },
};

const CORE_TYPES: ReadonlySet<string> = new Set<CoreMessage['type']>([
  'challenge',
  'join_accepted',
  'join_refused',
  'store',
  'drop',
  'sync',
  'invoke',
  'code_reply',
  'ping',
  'pong',
]);
const WORKER_TYPES: ReadonlySet<string> = new Set<WorkerMessage['type']>([
  'join',
  'report',
  'ack',
  'result',
  'invoke_error',
  'code_request',
  'ping',
  'pong',
]);

function carriesCode(message: { type: string; ok?: unknown }): boolean {
  return message.type === 'store' || (message.type === 'code_reply' && message.ok === true);
}

/** Encodes a message into one frame. Throws `LinkProtocolError` if it exceeds the bounds. */
export function encodeFrame(message: LinkMessage): Buffer {
  let header: string;
  let payload: Uint8Array | undefined;
  if (carriesCode(message)) {
    const { code, ...rest } = message as LinkMessage & { code: Uint8Array };
    header = JSON.stringify(rest);
    payload = code;
  } else {
    header = JSON.stringify(message);
  }
  const headerBytes = Buffer.byteLength(header);
  if (headerBytes > LINK_LIMITS.maxHeaderBytes) {
    throw new LinkProtocolError(
      `a ${message.type} message of ${headerBytes} bytes exceeds the ${LINK_LIMITS.maxHeaderBytes}-byte header limit`,
    );
  }
  const payloadBytes = payload?.byteLength ?? 0;
  if (payloadBytes > LINK_LIMITS.maxPayloadBytes) {
    throw new LinkProtocolError(
      `code of ${payloadBytes} bytes exceeds the ${LINK_LIMITS.maxPayloadBytes}-byte payload limit`,
    );
  }
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + headerBytes + payloadBytes);
  frame[0] = FRAME_FORMAT;
  frame.writeUInt32BE(headerBytes, 1);
  frame.write(header, PREFIX_BYTES, 'utf8');
  if (payload) frame.set(payload, PREFIX_BYTES + headerBytes);
  return frame;
}

/** Decodes a frame the Core sent (what a Worker receives). */
export function decodeCoreFrame(frame: Uint8Array): CoreMessage {
  return decode(frame, CORE_TYPES, 'Core') as CoreMessage;
}

/** Decodes a frame a Worker sent (what the Core receives). */
export function decodeWorkerFrame(frame: Uint8Array): WorkerMessage {
  return decode(frame, WORKER_TYPES, 'Worker') as WorkerMessage;
}

function decode(frame: Uint8Array, allowed: ReadonlySet<string>, from: string): LinkMessage {
  if (frame.byteLength < PREFIX_BYTES) {
    throw new LinkProtocolError(`frame of ${frame.byteLength} bytes is shorter than its 5-byte prefix`);
  }
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (buf[0] !== FRAME_FORMAT) throw new LinkProtocolError(`unknown frame format ${buf[0]}`);
  const headerBytes = buf.readUInt32BE(1);
  if (headerBytes > LINK_LIMITS.maxHeaderBytes) {
    throw new LinkProtocolError(
      `header of ${headerBytes} bytes exceeds the ${LINK_LIMITS.maxHeaderBytes}-byte limit`,
    );
  }
  if (PREFIX_BYTES + headerBytes > buf.byteLength) {
    throw new LinkProtocolError(
      `header length ${headerBytes} runs past the end of the ${buf.byteLength}-byte frame`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes));
  } catch {
    throw new LinkProtocolError('header is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new LinkProtocolError('header is not a JSON object');
  }
  const message = parsed as Record<string, unknown>;
  const type = message.type;
  if (typeof type !== 'string' || !allowed.has(type)) {
    throw new LinkProtocolError(`a ${from} does not send messages of type ${JSON.stringify(type)}`);
  }
  const schema = SCHEMAS[type as LinkMessageType];
  for (const [field, kind] of Object.entries(schema)) checkField(type, field, kind, message[field]);
  const payload = buf.subarray(PREFIX_BYTES + headerBytes);
  if (carriesCode(message as { type: string; ok?: unknown })) {
    if (payload.byteLength > LINK_LIMITS.maxPayloadBytes) {
      throw new LinkProtocolError(`code of ${payload.byteLength} bytes exceeds the payload limit`);
    }
    message.code = payload;
  } else if (payload.byteLength > 0) {
    throw new LinkProtocolError(`a ${type} message carries no payload, got ${payload.byteLength} bytes`);
  }
  if (type === 'code_reply' && message.ok === false && message.error === undefined) {
    throw new LinkProtocolError('a failed code_reply needs its error');
  }
  return message as unknown as LinkMessage;
}

function checkField(type: string, field: string, kind: FieldKind, value: unknown): void {
  const ok = (() => {
    switch (kind) {
      case 'string':
        return typeof value === 'string';
      case 'string?':
        return value === undefined || typeof value === 'string';
      case 'int':
        return Number.isSafeInteger(value) && (value as number) >= 0;
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'error':
        return isErrorPayload(value);
      case 'error?':
        return value === undefined || isErrorPayload(value);
      case 'any':
        return value !== undefined;
      case 'refs':
        return (
          Array.isArray(value) &&
          value.every(
            (r: unknown) =>
              typeof r === 'object' &&
              r !== null &&
              typeof (r as Record<string, unknown>).module === 'string' &&
              typeof (r as Record<string, unknown>).name === 'string' &&
              typeof (r as Record<string, unknown>).hash === 'string',
          )
        );
    }
  })();
  if (!ok) throw new LinkProtocolError(`${type}.${field} must be ${describe(kind)}, got ${preview(value)}`);
}

function describe(kind: FieldKind): string {
  switch (kind) {
    case 'int':
      return 'a non-negative integer';
    case 'number':
      return 'a finite number';
    case 'error':
    case 'error?':
      return 'an error {code, message}';
    case 'any':
      return 'present';
    case 'refs':
      return 'a list of {module, name, hash}';
    default:
      return `a ${kind.replace('?', '')}`;
  }
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
