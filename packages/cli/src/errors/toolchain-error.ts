import { CliError } from './cli-error.js';

/** A compiler the build needs is not installed; the message names what to install. */
export class ToolchainMissingError extends CliError {
  override readonly name: string = 'ToolchainMissingError';
}

/** The compiler ran and refused the sources; the message carries its diagnostics. */
export class BuildFailedError extends CliError {
  override readonly name: string = 'BuildFailedError';
}
