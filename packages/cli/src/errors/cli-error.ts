import { ErrorCode, FlError } from '@funless/protocol';

/**
 * A failure the CLI reports to the user as `fl: error: <message>` with a non-zero exit: bad
 * arguments, unreadable files, a missing toolchain, an error answered by the Core.
 */
export class CliError extends FlError {
  override readonly name: string = 'CliError';
  constructor(message: string, options?: { cause?: unknown; code?: ErrorCode }) {
    super(options?.code ?? ErrorCode.BadRequest, message, options);
  }
}
