import { Buffer } from 'node:buffer';

/**
 * What a guest prints, as the platform keeps it: one entry per line, with the stream it was
 * written to, in the order written. The Worker captures the lines, the link carries them, the
 * Core keeps them in the invocation's activation record (docs/activations.md).
 */

/** Where a line came from: `__console_log` (FunLess ABI), or the guest's WASI stdout or stderr. */
export const LogStream = { Console: 'console', Stdout: 'stdout', Stderr: 'stderr' } as const;
export type LogStream = (typeof LogStream)[keyof typeof LogStream];

/** Every stream, in the order the documents list them. */
export const LOG_STREAMS: readonly LogStream[] = Object.values(LogStream);

/** One line a guest wrote, without its line break. */
export interface LogLine {
  stream: LogStream;
  text: string;
}

export function isLogStream(value: unknown): value is LogStream {
  return typeof value === 'string' && (LOG_STREAMS as readonly string[]).includes(value);
}

/** What one line costs of an invocation's log bound beyond its text: its stream and its length. */
export const LOG_LINE_OVERHEAD_BYTES = 5;

/**
 * What one invocation's logs may hold, in bytes: each line its UTF-8 text plus
 * `LOG_LINE_OVERHEAD_BYTES`. The runtime stops capturing there and marks the cut
 * (`logsTruncated`); the Core keeps no more than this of what a Worker sends. @default 64 KiB
 */
export const MAX_LOG_BYTES = 64 * 1024;

/** What `line` costs of the log bound (`MAX_LOG_BYTES`). */
export function logLineBytes(text: string): number {
  return Buffer.byteLength(text) + LOG_LINE_OVERHEAD_BYTES;
}

/** An invocation's captured lines, as they travel with its result or its error. */
export interface CapturedLogs {
  /** The lines, in the order written, within `MAX_LOG_BYTES`. */
  logs: LogLine[];
  /** Lines were left out: the guest wrote more than the bound. */
  logsTruncated: boolean;
}
