export * from './abi.js';
export * from './errors.js';
