import { ErrorCode, FlError } from '../errors.js';

/** A binary that is not a function the platform can run (`invalid_module`, HTTP 400). */
export class InvalidFunctionError extends FlError {
  override readonly name = 'InvalidFunctionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidModule, message, options);
  }
}
