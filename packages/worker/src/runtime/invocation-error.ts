import { FlError } from '@funless/protocol';
import type { CapturedLogs, ErrorPayload, LogLine } from '@funless/protocol';

/**
 * An invocation whose guest ran and failed (trapped, passed its time limit, reported an error, …):
 * with the lines it printed before its end and the time it ran. Failures before the guest ran
 * (bad request, overloaded, dropped while queued) are plain `FlError`s.
 */
export class InvocationError extends FlError {
  override readonly name = 'InvocationError';
  readonly logs: LogLine[];
  readonly logsTruncated: boolean;
  constructor(
    payload: ErrorPayload,
    captured: CapturedLogs,
    /** Time the guest ran, in ms. */
    readonly durationMs: number,
  ) {
    super(payload.code, payload.message);
    this.logs = captured.logs;
    this.logsTruncated = captured.logsTruncated;
  }
}
