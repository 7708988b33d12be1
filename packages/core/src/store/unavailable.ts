import { ErrorCode, FlError } from '@funless/protocol';

/** Socket errors of a database server that cannot be reached or went away. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL states of a server that cannot serve: connection exceptions (class 08), too many
 * connections, and the server shutting down or starting up.
 */
const POSTGRES_STATES = /^(08...|53300|57P0[1-3])$/;

/** SQLite result codes (better-sqlite3 puts the extended one in `code`) of a file it cannot use. */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOTADB|CORRUPT)(_|$)/;

/** What the drivers throw, with no code, when their connection or pool is gone. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Cannot use a pool after calling end on the pool/,
  /^Client has encountered a connection error and is not queryable/,
  /^The database connection is not open/,
];

/**
 * Why `error` means the database is unavailable (rather than a bug), as its driver said it, or
 * `undefined` when it does not.
 */
export function storageUnavailableCause(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message : String(code);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || POSTGRES_STATES.test(code) || SQLITE_CODES.test(code)) {
      return code === text || text.includes(code) ? text : `${code}: ${text}`;
    }
  }
  if (typeof message === 'string' && DRIVER_MESSAGES.some((pattern) => pattern.test(message))) {
    return message;
  }
  // pg reports a host with several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const cause = storageUnavailableCause(inner);
      if (cause !== undefined) return cause;
    }
  }
  return undefined;
}

/** The `unavailable` error the API answers for `cause`. */
export function storageUnavailable(cause: string, options?: { cause?: unknown }): FlError {
  return new FlError(ErrorCode.Unavailable, `the database is unavailable: ${cause}`, options);
}
