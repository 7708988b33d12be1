// The globals a FunLess JavaScript function has besides ES2020 (docs/functions.md,
// "JavaScript and TypeScript"). There is no DOM, no Node.js API, no timers and no Intl.

interface Console {
  /** One line (per line of text) in the invocation's logs, stream "console". */
  log(...values: unknown[]): void;
  info(...values: unknown[]): void;
  debug(...values: unknown[]): void;
  trace(...values: unknown[]): void;
  /** One line in the invocation's logs, stream "stderr". */
  error(...values: unknown[]): void;
  warn(...values: unknown[]): void;
}
declare const console: Console;

type HeadersInit = Headers | [string, string][] | Record<string, string>;

declare class Headers implements Iterable<[string, string]> {
  constructor(init?: HeadersInit);
  get(name: string): string | null;
  has(name: string): boolean;
  set(name: string, value: string): void;
  delete(name: string): void;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** What fetch resolves to. The platform passes no response headers to functions. */
declare class Response {
  readonly status: number;
  readonly ok: boolean;
  readonly url: string;
  readonly headers: Headers;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

interface RequestInit {
  /** GET (default), POST, PUT or DELETE. */
  method?: string;
  headers?: HeadersInit;
  body?: string;
  /** The largest response body accepted; a longer one fails the request. @default 1048576 */
  maxResponseBytes?: number;
}

/**
 * Outbound HTTP through the platform (synchronous underneath: the promise is settled when it
 * returns). Rejects with a TypeError when the request fails; the logs say why.
 */
declare function fetch(url: string, init?: RequestInit): Promise<Response>;
