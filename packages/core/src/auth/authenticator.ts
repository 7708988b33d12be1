import { ErrorCode, FlError } from '@funless/protocol';

import type { Store, SubjectRecord } from '../store/index.js';
import { hashToken, hashesEqual } from './tokens.js';

/** Who made a request. */
export interface Principal {
  name: string;
  role: SubjectRecord['role'];
}

/** A request without valid credentials. */
export class UnauthorizedError extends FlError {
  override readonly name = 'UnauthorizedError';
  constructor(message: string) {
    super(ErrorCode.Unauthorized, message);
  }
}

/** The token of an `Authorization: Bearer <token>` header value; throws `UnauthorizedError`. */
export function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') {
    throw new UnauthorizedError('missing bearer token: send the header Authorization: Bearer <token>');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw new UnauthorizedError('malformed Authorization header: expected Bearer <token>');
  }
  return match[1];
}

/**
 * Resolves bearer tokens to subjects, comparing the presented hash against every stored one in
 * constant time. The (few) subjects come from the store's cache (`CachedStore`), so that a
 * request costs no query and a change through any Core is seen at once.
 */
export class Authenticator {
  constructor(private readonly store: Pick<Store, 'listSubjects'>) {}

  /** The principal behind an `Authorization` header value; throws `UnauthorizedError`. */
  async authenticate(header: string | undefined): Promise<Principal> {
    const hash = hashToken(bearerToken(header));
    const subjects = await this.store.listSubjects();
    let found: SubjectRecord | undefined;
    // No early exit: the time taken does not depend on which subject matched.
    for (const subject of subjects) {
      if (hashesEqual(subject.tokenHash, hash)) found = subject;
    }
    if (!found) throw new UnauthorizedError('invalid token');
    return { name: found.name, role: found.role };
  }
}
