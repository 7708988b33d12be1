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

/**
 * What one invocation's logs may hold, in bytes of UTF-8 text (each line counts one byte more, for
 * its line break). The runtime stops capturing there and marks the cut; the Core keeps no more than
 * this of what a Worker sends. @default 64 KiB
 */
export const MAX_LOG_BYTES = 64 * 1024;
