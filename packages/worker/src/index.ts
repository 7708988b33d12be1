export * from './runtime/index.js';
export * from './agent/index.js';
export * from './process/index.js';
export * from './discovery/index.js';
