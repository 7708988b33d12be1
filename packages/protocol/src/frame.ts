/**
 * Binary-safe framing of link messages: each message is one binary WebSocket frame,
 *
 *   byte 0      frame format (1)
 *   bytes 1-4   header length H, unsigned 32-bit big-endian
 *   bytes 5..   H bytes of UTF-8 JSON: the message without its binary field
 *   the rest    the binary field's raw bytes, for the messages that have one (`BINARY_FIELDS`)
 *
 * so code, an invocation's input and its result are never base64-inflated, parsed or re-encoded.
 * Decoding checks the bounds in `LINK_LIMITS`, the message type and every field, and throws
 * `LinkProtocolError` naming what is wrong: a peer's bad frame closes its connection, it never
 * reaches the handlers.
 *
 * The field table (`SCHEMAS`) is derived from the message types: a field added to a message does
 * not compile until its kind is listed here, and a kind that does not fit the field's type does not
 * compile either.
 */
import { Buffer } from 'node:buffer';

import { ErrorCode, FlError, isErrorPayload } from './errors.js';
import type { ErrorPayload } from './errors.js';
import { isLogStream, LOG_STREAMS } from './log-lines.js';
import type { LogLine } from './log-lines.js';
import type {
  CoreMessage,
  LinkFunctionRef,
  LinkMessage,
  LinkMessageType,
  WorkerMessage,
} from './messages.js';
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

type MessageOf<T extends LinkMessageType> = Extract<LinkMessage, { type: T }>;
/** Every key of every variant of a message (a union's `keyof` would keep only the common ones). */
type KeysOf<M> = M extends unknown ? keyof M : never;
/** The type of field `K` across the variants; `undefined` where a variant lacks it. */
type FieldOf<M, K extends PropertyKey> = M extends unknown ? (K extends keyof M ? M[K] : undefined) : never;
/** The fields of a message type holding raw bytes. */
type BytesFieldOf<T extends LinkMessageType> = {
  [K in KeysOf<MessageOf<T>>]-?: Exclude<FieldOf<MessageOf<T>, K>, undefined> extends Uint8Array ? K : never;
}[KeysOf<MessageOf<T>>];

/**
 * The one field of each message type that travels as the frame's binary tail. Checked against the
 * types both ways: the named field must be a `Uint8Array`, and a `Uint8Array` field not named here
 * has no field kind, so the schema below cannot be written for it.
 */
export const BINARY_FIELDS = {
  store: 'code',
  code_reply: 'code',
  invoke: 'input',
  result: 'result',
} as const satisfies { [T in LinkMessageType]?: BytesFieldOf<T> };
type BinaryFields = typeof BINARY_FIELDS;
type BinaryFieldOf<T extends LinkMessageType> = T extends keyof BinaryFields ? BinaryFields[T] : never;

/** How a field is checked; a trailing `?` lets it be absent. */
type RequiredKind<V> = [V] extends [string]
  ? 'string'
  : [V] extends [number]
    ? 'int' | 'number'
    : [V] extends [boolean]
      ? 'boolean'
      : [V] extends [ErrorPayload]
        ? 'error'
        : [V] extends [readonly LinkFunctionRef[]]
          ? 'refs'
          : [V] extends [readonly LogLine[]]
            ? 'logs'
            : never;
type KindOf<V> = undefined extends V ? `${RequiredKind<Exclude<V, undefined>>}?` : RequiredKind<V>;

/** Each field of one message type (but `type` and its binary field) with the kind that checks it. */
export type MessageSchema<T extends LinkMessageType> = {
  [K in Exclude<KeysOf<MessageOf<T>>, 'type' | BinaryFieldOf<T>>]-?: KindOf<FieldOf<MessageOf<T>, K>>;
};
type FieldKind = 'string' | 'int' | 'number' | 'boolean' | 'error' | 'refs' | 'logs';
type AnyKind = FieldKind | `${FieldKind}?`;

const COMMON_REF = { module: 'string', name: 'string', hash: 'string' } as const;

/** Each message type's fields and their kinds. */
const SCHEMAS = {
  challenge: { protocol: 'int', nonce: 'string', core: 'string' },
  join_accepted: { core: 'string', proof: 'string', reportIntervalMs: 'int', livenessTimeoutMs: 'int' },
  join_refused: { error: 'error' },
  store: { id: 'int', ...COMMON_REF },
  drop: { id: 'int', module: 'string', name: 'string', hash: 'string?' },
  sync: { functions: 'refs', last: 'boolean' },
  invoke: { id: 'int', ...COMMON_REF, capacityMiB: 'int', timeoutMs: 'int', chainDepth: 'int' },
  cancel: { id: 'int' },
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
  report: {
    memoryTotalMiB: 'number',
    memoryFreeMiB: 'number',
    reservedMiB: 'number',
    running: 'int',
    cpuUse: 'number',
    loadAverage1: 'number',
    loadAverage5: 'number',
    loadAverage15: 'number',
  },
  ack: { id: 'int', error: 'error?' },
  result: { id: 'int', durationMs: 'number', logs: 'logs?', logsTruncated: 'boolean?' },
  invoke_error: {
    id: 'int',
    error: 'error',
    durationMs: 'number?',
    logs: 'logs?',
    logsTruncated: 'boolean?',
  },
  cancel_reply: { id: 'int', started: 'boolean' },
  code_request: { id: 'int', ...COMMON_REF },
} as const satisfies { [T in LinkMessageType]: MessageSchema<T> };

const CORE_TYPES: ReadonlySet<string> = new Set<CoreMessage['type']>([
  'challenge',
  'join_accepted',
  'join_refused',
  'store',
  'drop',
  'sync',
  'invoke',
  'cancel',
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
  'cancel_reply',
  'code_request',
  'ping',
  'pong',
]);

/** The message's binary field, if it has one (a failed `code_reply` has none). */
function binaryField(message: { type: string; ok?: unknown }): string | undefined {
  if (message.type === 'code_reply' && message.ok !== true) return undefined;
  return (BINARY_FIELDS as Record<string, string>)[message.type];
}

/** Encodes a message into one frame. Throws `LinkProtocolError` if it exceeds the bounds. */
export function encodeFrame(message: LinkMessage): Buffer {
  let header: string;
  let payload: Uint8Array | undefined;
  const field = binaryField(message);
  if (field !== undefined) {
    const { [field]: bytes, ...rest } = message as unknown as Record<string, unknown>;
    header = JSON.stringify(rest);
    payload = bytes as Uint8Array;
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
      `${message.type}.${field} of ${payloadBytes} bytes exceeds the ${LINK_LIMITS.maxPayloadBytes}-byte payload limit`,
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
  const schema: Record<string, AnyKind> = SCHEMAS[type as LinkMessageType];
  for (const [field, kind] of Object.entries(schema)) checkField(type, field, kind, message[field]);
  const payload = buf.subarray(PREFIX_BYTES + headerBytes);
  const field = binaryField(message as { type: string; ok?: unknown });
  if (field !== undefined) {
    if (payload.byteLength > LINK_LIMITS.maxPayloadBytes) {
      throw new LinkProtocolError(
        `${type}.${field} of ${payload.byteLength} bytes exceeds the ${LINK_LIMITS.maxPayloadBytes}-byte payload limit`,
      );
    }
    message[field] = payload;
  } else if (payload.byteLength > 0) {
    throw new LinkProtocolError(`a ${type} message carries no payload, got ${payload.byteLength} bytes`);
  }
  if (type === 'code_reply' && message.ok === false && message.error === undefined) {
    throw new LinkProtocolError('a failed code_reply needs its error');
  }
  return message as unknown as LinkMessage;
}

function checkField(type: string, field: string, kind: AnyKind, value: unknown): void {
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
      case 'boolean?':
        return value === undefined || typeof value === 'boolean';
      case 'number?':
        return value === undefined || (typeof value === 'number' && Number.isFinite(value));
      case 'logs?':
        return (
          value === undefined ||
          (Array.isArray(value) &&
            value.every(
              (l: unknown) =>
                typeof l === 'object' &&
                l !== null &&
                isLogStream((l as Record<string, unknown>).stream) &&
                typeof (l as Record<string, unknown>).text === 'string',
            ))
        );
      case 'error':
        return isErrorPayload(value);
      case 'error?':
        return value === undefined || isErrorPayload(value);
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

function describe(kind: AnyKind): string {
  switch (kind) {
    case 'int':
      return 'a non-negative integer';
    case 'number':
    case 'number?':
      return 'a finite number';
    case 'error':
    case 'error?':
      return 'an error {code, message}';
    case 'refs':
      return 'a list of {module, name, hash}';
    case 'logs?':
      return `a list of {stream (${LOG_STREAMS.join(', ')}), text}`;
    default:
      return `a ${kind.replace('?', '')}`;
  }
}

function preview(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? typeof value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
