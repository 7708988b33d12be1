import { CliError } from '../errors/index.js';

/**
 * Parses `-j '<json>'`: it must be a JSON object (the invocation's `args`). A bad document is an
 * error quoting the parser's complaint.
 */
export function parseJsonArgs(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CliError(`-j is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new CliError(`-j must be a JSON object like '{"name":"Test"}', got ${kind}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Parses `-a key=value` pairs into an object. A value that is valid JSON keeps its JSON type
 * (`n=3` → 3, `ok=true` → true, `x=null` → null, `l=[1,2]` → [1,2], `s='"3"'` → "3"); anything
 * else is a string (`name=Test` → "Test"). A later pair overrides an earlier one with the same key.
 */
export function parseKeyValueArgs(pairs: readonly string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new CliError(`-a expects key=value, got "${pair}"`);
    const key = pair.slice(0, eq);
    if (key === '') throw new CliError(`-a expects key=value with a non-empty key, got "${pair}"`);
    args[key] = typedValue(pair.slice(eq + 1));
  }
  return args;
}

function typedValue(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The invocation's `args` from `-j` or `-a` (not both); `{}` without either. */
export function invocationArgs(options: { json?: string; arg?: string[] }): Record<string, unknown> {
  const pairs = options.arg ?? [];
  if (options.json !== undefined && pairs.length > 0) {
    throw new CliError('use either -j <json> or -a key=value, not both');
  }
  if (options.json !== undefined) return parseJsonArgs(options.json);
  return parseKeyValueArgs(pairs);
}
