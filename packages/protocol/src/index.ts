export * from './abi.js';
export * from './errors.js';
export * from './messages.js';
export * from './frame.js';
export * from './link-auth.js';
export * from './discovery/index.js';
export * from './link-channel/index.js';
