/**
 * Stable error codes shared by the Core, the Worker and the CLI. Errors cross threads and the
 * network as `{ code, message }` and are rebuilt on the other side: match on `code`, never on
 * `instanceof`.
 */
export const ErrorCode = {
  /** Input that does not follow the API's rules (HTTP 400). */
  BadRequest: 'bad_request',
  /** Missing or wrong credentials (HTTP 401). */
  Unauthorized: 'unauthorized',
  /** Valid credentials whose role or ownership does not allow the request (HTTP 403). */
  Forbidden: 'forbidden',
  /** The named entity does not exist (HTTP 404). */
  NotFound: 'not_found',
  /** The name is taken (HTTP 409). */
  Conflict: 'conflict',
  /** The upload is not a function the platform can run (HTTP 400). */
  InvalidModule: 'invalid_module',
  /** No Worker is connected, or none has room (HTTP 503). */
  NoWorker: 'no_worker',
  /** The guest reported an error through `__insert_error` or a non-zero exit (HTTP 422). */
  GuestError: 'guest_error',
  /** The guest trapped (HTTP 422). */
  Trap: 'trap',
  /** The invocation passed its time limit (HTTP 504). */
  Timeout: 'timeout',
  /** The guest needed more linear memory than its capacity (HTTP 422). */
  MemoryLimit: 'memory_limit',
  /** The guest returned without a result (HTTP 422). */
  NoResult: 'no_result',
  /** The guest's result is not valid UTF-8 or not valid JSON (HTTP 422). */
  ResultNotJson: 'result_not_json',
  /** The guest's result is larger than the result limit (HTTP 422). */
  ResultTooLarge: 'result_too_large',
  /** `__invoke` returned something other than 0 or 1 (HTTP 422). */
  BadReturnCode: 'bad_return_code',
  /** An invocation's input is larger than the input limit (HTTP 413). */
  TooLarge: 'too_large',
  /** The Worker went away while running the invocation (HTTP 503). */
  WorkerLost: 'worker_lost',
  /** The Worker's queue is full (HTTP 503). */
  Overloaded: 'overloaded',
  /**
   * A function called through the API by a function, and so on, deeper than the Core allows
   * (`FL_MAX_CHAIN_DEPTH`): refused before anything runs (HTTP 508).
   */
  ChainTooDeep: 'chain_too_deep',
  /** The Core's database does not answer (HTTP 503). */
  Unavailable: 'unavailable',
  /** Anything the platform did not expect: a bug (HTTP 500). */
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The wire form of an error. */
export interface ErrorPayload {
  code: ErrorCode;
  message: string;
}

/** Base class of every error the platform raises on purpose. */
export class FlError extends Error {
  override readonly name: string = 'FlError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }

  /** Rebuilds an error received as `{ code, message }`. */
  static fromPayload(payload: ErrorPayload): FlError {
    return new FlError(payload.code, payload.message);
  }
}

export function isErrorPayload(value: unknown): value is ErrorPayload {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorPayload).code === 'string' &&
    typeof (value as ErrorPayload).message === 'string'
  );
}
