import { ACTIVATION_ID_HEADER, untrustedCertificateMessage } from '@funless/protocol';

import { ApiError } from '../errors/index.js';

/** Options of `ApiClient`. */
export interface ApiClientOptions {
  /** Base URL of the Core, e.g. `http://127.0.0.1:4000` (no trailing slash). */
  baseUrl: string;
  /** Bearer token of the function routes. */
  token?: string;
  /** Bearer token of the admin routes; falls back to `token`. */
  adminToken?: string;
  /**
   * Time limit of one request in ms: uploads wait for Workers and invocations run up to their
   * own limit (60 s by default), so this is generous.
   * @default 300_000
   */
  timeoutMs?: number;
  /** Injected for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  /** A JSON body. */
  json?: unknown;
  /** A multipart body. */
  form?: FormData;
  /** Send the admin token instead of the API token. */
  admin?: boolean;
  /**
   * What the request is about, e.g. `function "hello" in module "_"`: added to an error whose
   * detail does not already say it, so every message names what was not found.
   */
  subject?: string;
  /** Names in the subject: when the detail already contains one, the subject is not repeated. */
  subjectNames?: readonly string[];
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; `undefined` for an empty body (204). */
  body: T;
}

const DEFAULT_TIMEOUT_MS = 300_000;

/** A thin client of the Core's REST API: bearer tokens, JSON, `{"errors":{"detail"}}` → `ApiError`. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly adminToken: string | undefined;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.adminToken = options.adminToken ?? options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** Sends one request; resolves for 2xx answers, rejects with `ApiError` otherwise. */
  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const url = `${this.baseUrl}${path}`;
    const token = options.admin ? this.adminToken : this.token;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | FormData | undefined;
    if (options.form) body = options.form;
    else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }

    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw unreachable(this.baseUrl, error, this.timeoutMs);
    }

    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (response.ok) {
      if (text !== '' && parsed === undefined) {
        throw new ApiError(
          response.status,
          `the Core answered ${method} ${path} with a body that is not JSON`,
        );
      }
      return { status: response.status, headers: response.headers, body: parsed as T };
    }
    throw new ApiError(response.status, errorMessage(response, parsed, token !== undefined, options), {
      activationId: response.headers.get(ACTIVATION_ID_HEADER) ?? undefined,
    });
  }
}

function unreachable(baseUrl: string, error: unknown, timeoutMs: number): ApiError {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return new ApiError(0, `the Core at ${baseUrl} did not answer within ${timeoutMs / 1000} s`, {
      cause: error,
    });
  }
  const untrusted = untrustedCertificateMessage(error, `the Core at ${baseUrl}`);
  if (untrusted !== undefined) return new ApiError(0, untrusted, { cause: error });
  const reason = err.cause?.code ?? err.cause?.message ?? err.message;
  return new ApiError(
    0,
    `cannot reach the Core at ${baseUrl} (${reason}): start it with \`npm start\` or \`fl up\`, ` +
      'or point FL_API_HOST or `fl config set api_host` at it',
    { cause: error },
  );
}

/** Builds the one-line message of an error answer. */
function errorMessage(
  response: Response,
  body: unknown,
  sentToken: boolean,
  options: RequestOptions,
): string {
  let detail = `HTTP ${response.status} ${response.statusText}`.trim();
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  if (typeof errors === 'object' && errors !== null) {
    const { detail: d, ...fields } = errors as Record<string, unknown>;
    if (typeof d === 'string' && d !== '') detail = d;
    // Per-field messages (strings) are worth a line; structured extras (e.g. an APP script's
    // problem list, already summed up in the detail) are for --json users of the API.
    const extra = Object.entries(fields)
      .filter(([, value]) => isMessages(value))
      .map(([field, value]) => `${field}: ${([] as unknown[]).concat(value).join(', ')}`);
    if (extra.length > 0) detail += ` (${extra.join('; ')})`;
  }
  // A token problem is not about the thing the command names.
  if (
    options.subject &&
    response.status !== 401 &&
    !(options.subjectNames ?? []).some((name) => detail.includes(name))
  ) {
    detail = `${options.subject}: ${detail}`;
  }
  if (response.status === 401 && !sentToken) {
    detail +=
      ': no token is configured; run `fl login`, set FL_API_TOKEN, or run fl where the platform ' +
      'wrote its .funless/tokens file (or set FL_DATA_DIR)';
  }
  return detail;
}

function isMessages(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}
