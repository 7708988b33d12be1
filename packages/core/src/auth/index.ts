export { AccessPolicy, ForbiddenError, hasRole, requireRole } from './access-policy.js';
export { Authenticator, UnauthorizedError, bearerToken } from './authenticator.js';
export type { Principal } from './authenticator.js';
export { DEFAULT_MODULE, GUEST_SUBJECT, TOKENS_FILE, bootstrap } from './bootstrap.js';
export type { BootstrapOptions, BootstrapResult } from './bootstrap.js';
export { SIGN_IN_CODE_LIMITS, SignInCodes } from './sign-in-codes.js';
export type { SignInCode, SignInCodeLimits } from './sign-in-codes.js';
export { generateToken, hashToken, hashesEqual } from './tokens.js';
