export { Authenticator, UnauthorizedError, bearerToken } from './authenticator.js';
export type { Principal } from './authenticator.js';
export { ADMIN_SUBJECT, DEFAULT_MODULE, GUEST_SUBJECT, TOKENS_FILE, bootstrap } from './bootstrap.js';
export type { BootstrapOptions, BootstrapResult } from './bootstrap.js';
export { generateToken, hashToken, hashesEqual } from './tokens.js';
