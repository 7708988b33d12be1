import { DEFAULT_CAPACITY_MIB, DEFAULT_TAG, MAX_CAPACITY_MIB, NAME_MAX_LENGTH } from '@funless/protocol';

import type { ConnectionRequest, FunctionMetadata } from '../store/index.js';
import { parseEvent, parseSink } from '../subscriptions/index.js';
import type { EntryResult } from '../subscriptions/index.js';
import { BadRequestError, checkJsonInput, isPlainObject, onlyKeys, quote } from './validation.js';

/** A tag has no control characters (the API document states it with this pattern's source). */
// eslint-disable-next-line no-control-regex
export const TAG_PATTERN = /^[^\u0000-\u001f\u007f]*$/;

function parseJsonPart(part: string, raw: Buffer, example: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new BadRequestError(`${part} is not valid JSON (${(error as Error).message}); expected ${example}`);
  }
  checkJsonInput(part, value);
  return value;
}

/**
 * The `metadata` part: `{"tag": "…", "capacity": <MiB>}`, both optional. Fields not given come
 * from `base` (the stored metadata on update, the defaults on create).
 */
export function parseMetadata(
  raw: Buffer,
  base: FunctionMetadata = { tag: DEFAULT_TAG, capacityMiB: DEFAULT_CAPACITY_MIB },
): FunctionMetadata {
  const example = '{"tag":"default","capacity":64}';
  const value = parseJsonPart('metadata', raw, example);
  if (!isPlainObject(value)) throw new BadRequestError(`metadata must be a JSON object like ${example}`);
  onlyKeys('metadata', value, ['tag', 'capacity']);
  const metadata = { ...base };
  if (value.tag !== undefined) {
    if (
      typeof value.tag !== 'string' ||
      value.tag.length === 0 ||
      value.tag.length > NAME_MAX_LENGTH ||
      !TAG_PATTERN.test(value.tag) ||
      // A lone UTF-16 surrogate has no UTF-8 form: the database would store something else.
      /\p{Cs}/u.test(value.tag)
    ) {
      throw new BadRequestError(
        `metadata.tag must be a string of 1-${NAME_MAX_LENGTH} characters without control characters or unpaired surrogates`,
      );
    }
    metadata.tag = value.tag;
  }
  if (value.capacity !== undefined) {
    const c = value.capacity;
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 1 || c > MAX_CAPACITY_MIB) {
      throw new BadRequestError(
        `metadata.capacity must be a whole number of MiB from 1 to ${MAX_CAPACITY_MIB}, got ${JSON.stringify(c)}`,
      );
    }
    metadata.capacityMiB = c;
  }
  return metadata;
}

/** How connecting one event or sink went, by FunLess's names. */
export const ConnectionStatus = { Success: 'success', Error: 'error' } as const;
export type ConnectionStatus = (typeof ConnectionStatus)[keyof typeof ConnectionStatus];

/** The per-item outcome of connecting an event or sink. */
export interface ConnectionResult {
  status: ConnectionStatus;
  message?: string;
}

/** The `events_metadata` / `sinks_metadata` of an answer: how many items connected. */
export function summarizeConnections(results: readonly ConnectionResult[]): {
  successful: number;
  failed: number;
  total: number;
} {
  const successful = results.filter((r) => r.status === ConnectionStatus.Success).length;
  return { successful, failed: results.length - successful, total: results.length };
}

export interface ParsedConnections {
  /** The valid entries, stored with the function. */
  requests: ConnectionRequest[];
  /**
   * One result per entry sent, in order: the error of an invalid one, undefined for a valid one
   * until connecting it tells (`withConnectResults`).
   */
  results: (ConnectionResult | undefined)[];
}

/** The results of `parsed` with how its stored entries connected, in order. */
export function withConnectResults(
  parsed: ParsedConnections,
  connected: readonly EntryResult[],
): ConnectionResult[] {
  let next = 0;
  return parsed.results.map(
    (r) => r ?? connected[next++] ?? { status: ConnectionStatus.Error, message: 'not connected' },
  );
}

/**
 * The `events` or `sinks` part: a JSON array of `{"type": "…", "params": {…}}`. Each entry is
 * checked (type known, params complete and well-typed): a valid entry is stored and connected, an
 * invalid one is a per-item error and not stored (FunLess answers 207 for partial failures).
 */
export function parseConnections(part: 'events' | 'sinks', raw: Buffer): ParsedConnections {
  const example = '[{"type":"mqtt","params":{"topic":"t"}}]';
  const value = parseJsonPart(part, raw, example);
  if (!Array.isArray(value)) throw new BadRequestError(`${part} must be a JSON array like ${example}`);
  const parsed: ParsedConnections = { requests: [], results: [] };
  value.forEach((entry: unknown, i) => {
    if (
      !isPlainObject(entry) ||
      typeof entry.type !== 'string' ||
      entry.type === '' ||
      !isPlainObject(entry.params)
    ) {
      parsed.results.push({
        status: ConnectionStatus.Error,
        message: `${part}[${i}] must be an object with a string "type" and an object "params"`,
      });
      return;
    }
    const request = { type: entry.type, params: entry.params };
    try {
      if (part === 'events') parseEvent(`events[${i}]`, request);
      else parseSink(`sinks[${i}]`, request);
    } catch (error) {
      parsed.results.push({ status: ConnectionStatus.Error, message: (error as Error).message });
      return;
    }
    parsed.requests.push(request);
    parsed.results.push(undefined);
  });
  return parsed;
}

/** `wait_for_workers`: the strings "true" or "false"; absent means true. */
export function parseWaitForWorkers(raw: Buffer | undefined): boolean {
  if (raw === undefined) return true;
  const text = raw.toString('utf8').trim();
  if (text === 'true') return true;
  if (text === 'false') return false;
  throw new BadRequestError(`wait_for_workers must be "true" or "false", got ${quote(text)}`);
}
