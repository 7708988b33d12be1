import { ErrorCode } from '@funless/protocol';

import { CliError } from './cli-error.js';

/** The stable error code of an HTTP status, so callers can match on `code`. */
function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.BadRequest;
    case 401:
      return ErrorCode.Unauthorized;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
      return ErrorCode.NotFound;
    case 409:
      return ErrorCode.Conflict;
    case 413:
      return ErrorCode.TooLarge;
    case 422:
      return ErrorCode.GuestError;
    case 503:
      return ErrorCode.NoWorker;
    case 504:
      return ErrorCode.Timeout;
    default:
      return ErrorCode.Internal;
  }
}

/** The Core answered with an error status; `message` is its `errors.detail`. */
export class ApiError extends CliError {
  override readonly name: string = 'ApiError';
  /** The activation record of a failed invocation (its `X-Fl-Activation-Id`), when it has one. */
  readonly activationId: string | undefined;
  constructor(
    /** HTTP status of the answer; 0 when the Core could not be reached. */
    readonly status: number,
    message: string,
    options?: { cause?: unknown; activationId?: string | undefined },
  ) {
    super(message, { ...options, code: status === 0 ? ErrorCode.Internal : codeOfStatus(status) });
    this.activationId = options?.activationId;
  }
}
