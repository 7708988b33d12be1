import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { CliError } from '../errors/index.js';

/** An event or sink entry as the API takes it: `{"type": "...", "params": {...}}`. */
export interface ConnectionEntry {
  type: string;
  params: Record<string, unknown>;
}

const EVENT_FORMS = 'mqtt:<host>:<port>/<topic>, nats:<host>:<port>/<subject> or schedule:<cron>';
const SINK_FORMS =
  'webhook:<url>, mqtt:<host>:<port>/<topic>, nats:<host>:<port>/<subject>, couchdb:<url>#<database> or postgres:<url>#<table>';

/** `<host>:<port>/<rest>` of an MQTT or NATS shorthand. */
function hostPortPath(
  spec: string,
  kind: string,
  forms: string,
): { host: string; port: string; path: string } {
  const rest = spec.slice(spec.indexOf(':') + 1);
  const match = /^([^:/]+):(\d{1,5})\/(.+)$/.exec(rest);
  if (!match) throw new CliError(`--${kind} ${JSON.stringify(spec)}: expected ${forms}`);
  return { host: match[1]!, port: match[2]!, path: match[3]! };
}

/** `<url>#<name>` of a database shorthand. */
function urlAndName(rest: string, spec: string, what: string): { url: string; name: string } {
  const at = rest.lastIndexOf('#');
  if (at <= 0 || at === rest.length - 1) {
    throw new CliError(`--sink ${JSON.stringify(spec)}: expected <url>#<${what}>`);
  }
  return { url: rest.slice(0, at), name: rest.slice(at + 1) };
}

function split(spec: string, kind: string, forms: string): [string, string] {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new CliError(`--${kind} ${JSON.stringify(spec)}: expected ${forms}`);
  return [spec.slice(0, colon), spec.slice(colon + 1)];
}

/** `--event` shorthand (docs/cli.md, "Events and sinks"). The Core checks the params. */
export function parseEventSpec(spec: string): ConnectionEntry {
  const [type, rest] = split(spec, 'event', EVENT_FORMS);
  if (type === 'mqtt') {
    const { host, port, path } = hostPortPath(spec, 'event', EVENT_FORMS);
    return { type, params: { host, port: Number(port), topic: path } };
  }
  if (type === 'nats') {
    const { host, port, path } = hostPortPath(spec, 'event', EVENT_FORMS);
    return { type, params: { servers: `nats://${host}:${port}`, subject: path } };
  }
  if (type === 'schedule') return { type, params: { cron: rest } };
  throw new CliError(
    `--event ${JSON.stringify(spec)}: unknown type ${JSON.stringify(type)}; expected ${EVENT_FORMS}`,
  );
}

/** `--sink` shorthand (docs/cli.md, "Events and sinks"). */
export function parseSinkSpec(spec: string): ConnectionEntry {
  const [type, rest] = split(spec, 'sink', SINK_FORMS);
  if (type === 'webhook') return { type, params: { url: rest } };
  if (type === 'mqtt') {
    const { host, port, path } = hostPortPath(spec, 'sink', SINK_FORMS);
    return { type, params: { host, port: Number(port), topic: path } };
  }
  if (type === 'nats') {
    const { host, port, path } = hostPortPath(spec, 'sink', SINK_FORMS);
    return { type, params: { servers: `nats://${host}:${port}`, subject: path } };
  }
  if (type === 'couchdb') {
    const { url, name } = urlAndName(rest, spec, 'database');
    return { type, params: { url, database: name } };
  }
  if (type === 'postgres') {
    const { url, name } = urlAndName(rest, spec, 'table');
    return { type, params: { url, table: name } };
  }
  throw new CliError(
    `--sink ${JSON.stringify(spec)}: unknown type ${JSON.stringify(type)}; expected ${SINK_FORMS}`,
  );
}

/** A `--events` / `--sinks` file: a JSON array of `{"type", "params"}`. */
export async function readConnectionsFile(
  cwd: string,
  path: string,
  option: string,
): Promise<ConnectionEntry[]> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    throw new CliError(
      `${option} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${option} ${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(value)) {
    throw new CliError(`${option} ${path}: expected a JSON array like [{"type":"mqtt","params":{...}}]`);
  }
  return value as ConnectionEntry[];
}

/** The entries of a file option then of the shorthand flags, or undefined when none was given. */
export async function connectionEntries(
  cwd: string,
  kind: 'events' | 'sinks',
  file: string | undefined,
  specs: string[] | undefined,
): Promise<ConnectionEntry[] | undefined> {
  if (file === undefined && (specs === undefined || specs.length === 0)) return undefined;
  const fromFile = file === undefined ? [] : await readConnectionsFile(cwd, file, `--${kind}`);
  const parse = kind === 'events' ? parseEventSpec : parseSinkSpec;
  return [...fromFile, ...(specs ?? []).map(parse)];
}
