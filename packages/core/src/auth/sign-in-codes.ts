import { randomBytes } from 'node:crypto';

import { hashToken } from './tokens.js';

/** Limits of sign-in codes (docs/console.md, "Signing in"). */
export const SIGN_IN_CODE_LIMITS = {
  /** How long a code may be exchanged, in ms. */
  ttlMs: 60_000,
  /** Codes held at once by one Core; one more drops the oldest. */
  maxOutstanding: 100,
} as const;

/** How long codes live and how many are held. */
export interface SignInCodeLimits {
  ttlMs: number;
  maxOutstanding: number;
}

/** A code and when it stops working. */
export interface SignInCode {
  code: string;
  expiresAt: Date;
}

/**
 * One-time codes that stand for a token for a minute: `fl ui` makes one with its token and prints
 * a link carrying it; the console exchanges it once for that token. Held in this Core's memory
 * only, by the code's SHA-256 (a code is as good as the token while it lives), at most
 * `maxOutstanding` of them.
 */
export class SignInCodes {
  private readonly codes = new Map<string, { token: string; expires: number }>();

  constructor(
    private readonly limits: SignInCodeLimits = SIGN_IN_CODE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new code for `token`. */
  issue(token: string): SignInCode {
    this.prune();
    while (this.codes.size >= this.limits.maxOutstanding) {
      const oldest = this.codes.keys().next().value;
      if (oldest === undefined) break;
      this.codes.delete(oldest);
    }
    const code = randomBytes(32).toString('base64url');
    const expires = this.now() + this.limits.ttlMs;
    this.codes.set(hashToken(code), { token, expires });
    return { code, expiresAt: new Date(expires) };
  }

  /** The token a live code stands for, once: the code is gone after this, used or not. */
  redeem(code: string): string | undefined {
    const key = hashToken(code);
    const entry = this.codes.get(key);
    this.codes.delete(key);
    if (entry === undefined || entry.expires <= this.now()) return undefined;
    return entry.token;
  }

  /** How many codes are held (tests). */
  get size(): number {
    this.prune();
    return this.codes.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, entry] of this.codes) if (entry.expires <= now) this.codes.delete(key);
  }
}
