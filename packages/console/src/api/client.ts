import type { components } from './schema.js';

/** The API's own schemas, as the Core's OpenAPI document declares them. */
export type Schemas = components['schemas'];

/** An answer of the API that was not a success: its status and the detail the API wrote. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's words (`errors.detail`), or what went wrong on the way when there is no answer. */
    readonly detail: string,
    /** The whole error body, for answers that carry more than the detail (APP script problems). */
    readonly body: unknown,
    /** The answer's headers (an invocation that failed still names its activation). */
    readonly headers: Headers = new Headers(),
  ) {
    super(detail);
    this.name = 'ApiError';
  }
}

export interface ApiAnswer<T> {
  status: number;
  data: T;
  headers: Headers;
  /** The whole body (`next_cursor` beside `data`, …). */
  body: Record<string, unknown>;
}

export interface RequestOptions {
  /** A JSON body. */
  json?: unknown;
  /** A multipart body (function uploads). */
  form?: FormData;
  /** Query parameters; undefined and empty ones are left out. */
  query?: Record<string, string | number | undefined>;
}

/** Longest wait for one answer: an invocation may run up to its time limit (60 s by default) and more. */
const REQUEST_TIMEOUT_MS = 120_000;

/**
 * The console's only way to the Core: the public REST API under the same origin, with the signed-in
 * token as its bearer. A 401 on a route that takes any token means the token is no longer valid
 * (rotated, deleted): `onUnauthorized` signs out.
 */
export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: (detail: string) => void,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<ApiAnswer<T>> {
    const query = Object.entries(options.query ?? {}).filter(
      (entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '',
    );
    const url =
      query.length === 0 ? path : `${path}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form !== undefined) {
      body = options.form;
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ApiError(0, `the Core did not answer: ${(error as Error).message}`, undefined);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const detail =
        (parsed as Schemas['Error'] | undefined)?.errors?.detail ??
        `${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
      if (response.status === 401 && !path.startsWith('/v1/admin/')) this.onUnauthorized(detail);
      throw new ApiError(response.status, detail, parsed, response.headers);
    }
    const record = (parsed ?? {}) as Record<string, unknown>;
    return { status: response.status, data: record.data as T, headers: response.headers, body: record };
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<ApiAnswer<T>> {
    return this.request<T>('GET', path, query === undefined ? {} : { query });
  }
}

/** A path segment: names are letters, digits and _, but what a user types is escaped anyway. */
export const seg = (name: string): string => encodeURIComponent(name);
