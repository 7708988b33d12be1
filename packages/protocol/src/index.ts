export * from './abi.js';
export * from './errors.js';
export * from './discovery/index.js';
