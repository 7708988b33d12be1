export { invocationArgs, parseJsonArgs, parseKeyValueArgs } from './invoke-args.js';
export { checkName, collect, parseCapacity } from './validators.js';
