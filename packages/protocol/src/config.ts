/**
 * Configuration read from the environment, the same way in every process (Core, Worker, CLI):
 * one error type and one integer parser, so that every bad value is refused with a message that
 * names the variable and says what it must be (docs/configuration.md).
 */
import { ErrorCode, FlError } from './errors.js';

/** A configuration value that cannot be used; the message names the option or variable. */
export class ConfigError extends FlError {
  override readonly name: string = 'ConfigError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BadRequest, message, options);
  }
}

/** The log levels of every process (pino's), as `FL_LOG_LEVEL` takes them. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Reads the variable `name`, one of `choices`, or undefined when it is unset or blank. Throws
 * `ConfigError` naming the variable, the choices and the value given.
 */
export function envChoice<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  choices: readonly T[],
): T | undefined {
  const value = envValue(env, name);
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** The value of `env[name]` without surrounding blanks, or undefined when unset or blank. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The range `envInt` accepts. */
export interface EnvIntRange {
  /** Smallest value accepted. @default 0 */
  min?: number;
  /** Largest value accepted. @default Number.MAX_SAFE_INTEGER */
  max?: number;
}

function rangeText(min: number, max: number): string {
  if (max !== Number.MAX_SAFE_INTEGER) return `an integer from ${min} to ${max}`;
  if (min === 0) return 'a whole number';
  if (min === 1) return 'a positive whole number';
  return `a whole number of at least ${min}`;
}

/**
 * Reads the integer variable `name` (decimal digits only, blanks around them ignored), or
 * undefined when it is unset or blank. Throws `ConfigError` naming the variable, the range and
 * the value given when it is not a whole number in `[min, max]`.
 */
export function envInt(env: NodeJS.ProcessEnv, name: string, range: EnvIntRange = {}): number | undefined {
  const { min = 0, max = Number.MAX_SAFE_INTEGER } = range;
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be ${rangeText(min, max)}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
