export { CliError } from './cli-error.js';
export { ApiError } from './api-error.js';
export { BuildFailedError, ToolchainMissingError } from './toolchain-error.js';
