/** @funless/cli: the `fl` command-line tool; its parts are exported for tests and embedding. */
export { CLI_VERSION, createProgram, runCli } from './program.js';
export * from './args/index.js';
export * from './build/index.js';
export * from './client/index.js';
export * from './config/index.js';
export * from './errors/index.js';
export * from './output/index.js';
export * from './templates/index.js';
