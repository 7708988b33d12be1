import { ErrorCode, isErrorPayload, logLineBytes, MAX_LOG_BYTES } from '@funless/protocol';
import type { LogLine } from '@funless/protocol';

import type { ClusterFunction, InvocationDetails } from '../cluster/index.js';
import { ActivationState } from '../store/index.js';
import type { ActivationOutcome, ActivationStatus } from '../store/index.js';

/** What an activation record keeps, in bytes (docs/activations.md). */
export const ACTIVATION_LIMITS = {
  /**
   * A result's JSON: a larger one is kept cut to its first bytes (at a character boundary, so no
   * longer JSON) with `result_truncated` set. @default 64 KiB
   */
  maxResultBytes: 64 * 1024,
  /** An invocation's log lines, as the runtime bounds them; the Core keeps no more. @default 64 KiB */
  maxLogBytes: MAX_LOG_BYTES,
} as const;

/** What a failed invocation's record says for a fault of the platform (its details are logged). */
export const INTERNAL_ERROR_MESSAGE = 'internal error: the Core logged the details';

/** The kept form of a result: its text, cut to `maxBytes` at a UTF-8 character boundary. */
export function keptResult(
  bytes: Uint8Array,
  maxBytes: number = ACTIVATION_LIMITS.maxResultBytes,
): { result: string; truncated: boolean } {
  const buffer = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.byteLength <= maxBytes) return { result: buffer.toString('utf8'), truncated: false };
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that was cut.
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  return { result: buffer.toString('utf8', 0, end), truncated: true };
}

/**
 * The log lines a record keeps: in order, until `maxBytes` would be passed (each line its text plus
 * `LOG_LINE_OVERHEAD_BYTES`, the runtime's own rule); `truncated` when some were left out. A Worker
 * keeps to the same bound, so this cuts only what a Worker configured for more sent.
 */
export function keptLogs(
  lines: readonly LogLine[],
  maxBytes: number = ACTIVATION_LIMITS.maxLogBytes,
): { logs: LogLine[]; truncated: boolean } {
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    bytes += logLineBytes(lines[i]!.text);
    if (bytes > maxBytes) return { logs: lines.slice(0, i), truncated: true };
  }
  return { logs: lines as LogLine[], truncated: false };
}

/**
 * Text as a database keeps it: PostgreSQL text cannot hold U+0000, which a guest may print or put
 * in its error message; it is kept as U+FFFD instead (in both databases, so a record reads the same).
 */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text;
}

/** What a record keeps of the lines the cluster reported. */
function logsOf(details: InvocationDetails): { logs: LogLine[]; logsTruncated: boolean } {
  if (details.logs === undefined || details.logs.length === 0) {
    return { logs: [], logsTruncated: details.logsTruncated === true };
  }
  const kept = keptLogs(details.logs);
  const logs = kept.logs.map((line) =>
    line.text.includes('\u0000') ? { stream: line.stream, text: storableText(line.text) } : line,
  );
  return { logs, logsTruncated: kept.truncated || details.logsTruncated === true };
}

/** The outcome of an invocation that returned `result`. */
export function successOutcome(
  fn: ClusterFunction,
  details: InvocationDetails,
  result: Uint8Array,
  totalMs: number,
): ActivationOutcome {
  const kept = keptResult(result);
  return {
    status: ActivationState.Success,
    worker: details.worker ?? null,
    hash: fn.hash,
    durationMs: details.durationMs ?? null,
    totalMs,
    error: null,
    result: kept.result,
    resultTruncated: kept.truncated,
    ...logsOf(details),
  };
}

/**
 * The outcome of an invocation that failed with `error`: its stable code is the status. Errors
 * without one are faults of the platform, recorded as `internal` without their internals.
 */
export function failureOutcome(
  fn: ClusterFunction | undefined,
  details: InvocationDetails,
  error: unknown,
  totalMs: number,
): ActivationOutcome {
  const known = isErrorPayload(error) && (Object.values(ErrorCode) as string[]).includes(error.code);
  const status: ActivationStatus = known ? error.code : ErrorCode.Internal;
  return {
    status,
    worker: details.worker ?? null,
    hash: fn?.hash ?? null,
    durationMs: details.durationMs ?? null,
    totalMs,
    error: known && status !== ErrorCode.Internal ? storableText(error.message) : INTERNAL_ERROR_MESSAGE,
    result: null,
    resultTruncated: false,
    ...logsOf(details),
  };
}
