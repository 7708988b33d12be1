export { invocationArgs, parseJsonArgs, parseKeyValueArgs } from './invoke-args.js';
export { connectionEntries, parseEventSpec, parseSinkSpec, readConnectionsFile } from './connection-args.js';
export type { ConnectionEntry } from './connection-args.js';
export { checkName, collect, parseCapacity } from './validators.js';
