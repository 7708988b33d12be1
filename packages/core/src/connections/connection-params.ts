import { ErrorCode, FlError } from '@funless/protocol';

/** A param of an event or sink that is missing or wrong; the message names it. */
export class ConnectionParamsError extends FlError {
  override readonly name = 'ConnectionParamsError';

  constructor(message: string) {
    super(ErrorCode.BadRequest, message);
  }
}

/** MQTT's delivery guarantees: at most once, at least once, exactly once. */
export type MqttQos = 0 | 1 | 2;

/**
 * Reads the `params` of one event or sink entry, each getter naming the param in its error
 * (`events[0].params.port must be …`). `done()` refuses params it did not read.
 */
export class ConnectionParams {
  readonly #read = new Set<string>();

  constructor(
    /** `events[0]`, `sinks[2]`: where the entry is, for messages. */
    readonly where: string,
    readonly type: string,
    readonly params: Record<string, unknown>,
  ) {}

  #name(key: string): string {
    return `${this.where}.params.${key}`;
  }

  fail(key: string, what: string): never {
    throw new ConnectionParamsError(`${this.#name(key)} ${what} (${this.type})`);
  }

  #value(key: string): unknown {
    this.#read.add(key);
    return this.params[key];
  }

  /** The value as sent, for a param of its own shape (checked by the caller). */
  raw(key: string): unknown {
    return this.#value(key);
  }

  /** A non-empty string. */
  string(key: string): string;
  string(key: string, optional: true): string | undefined;
  string(key: string, optional = false): string | undefined {
    const value = this.#value(key);
    if (value === undefined && optional) return undefined;
    if (value === undefined) this.fail(key, 'is missing: give a non-empty string');
    if (typeof value !== 'string' || value === '')
      this.fail(key, `must be a non-empty string, got ${show(value)}`);
    return value;
  }

  /** A TCP port: a number or a numeric string, as FunLess clients send it. */
  port(key: string): number {
    const value = this.#value(key);
    if (value === undefined) this.fail(key, 'is missing: give a port number');
    const n = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65_535) {
      this.fail(
        key,
        `must be a port number from 1 to 65535 (a number or a numeric string), got ${show(value)}`,
      );
    }
    return n;
  }

  /** An MQTT QoS, 0, 1 or 2 (number or numeric string). */
  qos(key: string, fallback: MqttQos): MqttQos {
    const value = this.#value(key);
    if (value === undefined) return fallback;
    const n = typeof value === 'string' ? Number(value) : value;
    if (n !== 0 && n !== 1 && n !== 2) this.fail(key, `must be 0, 1 or 2, got ${show(value)}`);
    return n;
  }

  /** A URL with one of `protocols` (like `['http:', 'https:']`). */
  url(key: string, protocols: readonly string[]): URL {
    const text = this.string(key);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      this.fail(key, `is not a valid URL: ${show(text)}`);
    }
    if (!protocols.includes(url.protocol)) {
      this.fail(key, `must be a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL, got ${show(text)}`);
    }
    return url;
  }

  /** An object of string values (HTTP headers). */
  stringMap(key: string): Record<string, string> | undefined {
    const value = this.#value(key);
    if (value === undefined) return undefined;
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.values(value).every((v) => typeof v === 'string')
    ) {
      this.fail(key, `must be an object of string values, got ${show(value)}`);
    }
    return value as Record<string, string>;
  }

  /** One of `choices`, or `fallback` when absent. */
  oneOf<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.#value(key);
    if (value === undefined) return fallback;
    if (!(choices as readonly unknown[]).includes(value)) {
      this.fail(key, `must be one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${show(value)}`);
    }
    return value as T;
  }

  /** Any JSON object, or undefined. */
  object(key: string): Record<string, unknown> | undefined {
    const value = this.#value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(key, `must be a JSON object, got ${show(value)}`);
    }
    return value as Record<string, unknown>;
  }

  /** Refuses params that were not read: a typo must not pass silently. */
  done(): void {
    const unknown = Object.keys(this.params).filter((k) => !this.#read.has(k));
    if (unknown.length > 0) {
      throw new ConnectionParamsError(
        `${this.where}.params has unknown ${unknown.length === 1 ? 'param' : 'params'} ${unknown
          .map((k) => `"${k}"`)
          .join(', ')} (${this.type} takes ${[...this.#read].map((k) => `"${k}"`).join(', ')})`,
      );
    }
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
