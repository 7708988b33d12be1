import { NAME_MAX_LENGTH, NAME_PATTERN, NAME_RULE } from '@funless/protocol';

import { CliError } from '../errors/index.js';

/** Checks a module, function, script or subject name before it goes to the Core. */
export function checkName(value: string, what: string): string {
  if (value.length === 0 || value.length > NAME_MAX_LENGTH || !NAME_PATTERN.test(value)) {
    throw new CliError(`invalid ${what} name "${value}": ${NAME_RULE}`);
  }
  return value;
}

/** Parses `--capacity <MiB>`: a positive integer. */
export function parseCapacity(value: string): number {
  const trimmed = value.trim().replace(/\s*mib$/i, '');
  if (!/^\d+$/.test(trimmed) || Number(trimmed) <= 0) {
    throw new CliError(`--capacity must be a positive whole number of MiB, got "${value}"`);
  }
  return Number(trimmed);
}

/** Collects repeated options (`-a x=1 -a y=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
