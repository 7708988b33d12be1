import { ConnectionParams, ConnectionParamsError } from '../connections/index.js';
import { EVENT_TYPES } from '../events/index.js';
import type { EventType } from '../events/index.js';
import { SINK_TYPES } from '../sinks/index.js';
import type { SinkType } from '../sinks/index.js';
import type { ConnectionRequest } from '../store/index.js';

/** Which results a sink gets: successes (the default), failures, or both. */
export const SinkOn = { Success: 'success', Error: 'error', All: 'all' } as const;
export type SinkOn = (typeof SinkOn)[keyof typeof SinkOn];

export interface ParsedEvent {
  type: string;
  eventType: EventType<unknown>;
  options: unknown;
}

export interface ParsedSink {
  type: string;
  sinkType: SinkType<unknown>;
  options: unknown;
  on: SinkOn;
}

function known<T>(
  kind: 'events' | 'sinks',
  where: string,
  types: Readonly<Record<string, T>>,
  type: string,
): T {
  const found = Object.hasOwn(types, type) ? types[type] : undefined;
  if (!found) {
    throw new ConnectionParamsError(
      `${where}.type ${JSON.stringify(type)} is not a known ${kind === 'events' ? 'event' : 'sink'} type: use one of ${Object.keys(
        types,
      )
        .map((t) => `"${t}"`)
        .join(', ')}`,
    );
  }
  return found;
}

/** Checks one entry of `events`; throws `ConnectionParamsError` naming what is wrong. */
export function parseEvent(where: string, request: ConnectionRequest): ParsedEvent {
  const eventType = known('events', where, EVENT_TYPES, request.type);
  return {
    type: request.type,
    eventType,
    options: eventType.parse(new ConnectionParams(where, request.type, request.params)),
  };
}

/** Checks one entry of `sinks` (its `on` included); throws `ConnectionParamsError`. */
export function parseSink(where: string, request: ConnectionRequest): ParsedSink {
  const sinkType = known('sinks', where, SINK_TYPES, request.type);
  const params = new ConnectionParams(where, request.type, request.params);
  const on = params.oneOf('on', Object.values(SinkOn), SinkOn.Success);
  return { type: request.type, sinkType, options: sinkType.parse(params), on };
}

/** An entry's identity: the same type and params (in any key order) are the same subscription. */
export function connectionKey(request: ConnectionRequest): string {
  return canonicalJson({ type: request.type, params: request.params });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Params as `GET` shows them: passwords, header values and the password of a URL hidden. */
export function redactedParams(params: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (key === 'password' && value !== undefined) shown[key] = '***';
    else if (key === 'headers' && typeof value === 'object' && value !== null) {
      shown[key] = Object.fromEntries(Object.keys(value).map((k) => [k, '***']));
    } else if (key === 'url' && typeof value === 'string') shown[key] = redactedUrl(value);
    else shown[key] = value;
  }
  return shown;
}

function redactedUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.href;
  } catch {
    return text;
  }
}
