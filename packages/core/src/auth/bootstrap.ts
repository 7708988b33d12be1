import { constants } from 'node:fs';
import { access, chmod, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

import type { Logger } from 'pino';

import { ADMIN_SUBJECT, SubjectRole } from '../store/index.js';
import type { Store } from '../store/index.js';
import { generateToken, hashToken } from './tokens.js';

/** The name of the subject created at first start. */
export const GUEST_SUBJECT = 'guest';
/** The default module, which always exists; shared by every developer (docs/api.md, "Roles and ownership"). */
export const DEFAULT_MODULE = '_';
/** File name of the first-start tokens, inside the data directory. */
export const TOKENS_FILE = 'tokens';

export interface BootstrapOptions {
  dataDir: string;
  /** Presets the admin token (`FL_ADMIN_TOKEN`), on first and later starts alike. */
  adminToken?: string | undefined;
}

export interface BootstrapResult {
  /** Path of the tokens file. */
  tokensFile: string;
  /** True when this start created the admin and guest subjects. */
  firstStart: boolean;
}

/**
 * Makes sure the default module and the admin exist. On first start (no admin yet) also creates
 * the guest subject and writes `Admin=<token>` and `Guest=<token>` to `<dataDir>/tokens` with mode
 * 0600: the only time those tokens are ever shown. Later starts keep the stored tokens, except that
 * a preset admin token replaces the admin's.
 */
export async function bootstrap(
  store: Store,
  options: BootstrapOptions,
  logger: Logger,
): Promise<BootstrapResult> {
  const tokensFile = join(options.dataDir, TOKENS_FILE);
  if (!(await store.getModule(DEFAULT_MODULE))) {
    await store.createModule(DEFAULT_MODULE).catch(async (error: unknown) => {
      // Another Core on the same database may have created it meanwhile.
      if (!(await store.getModule(DEFAULT_MODULE))) throw error;
    });
  }
  const admin = await store.getSubject(ADMIN_SUBJECT);
  if (admin) {
    if (options.adminToken !== undefined && admin.tokenHash !== hashToken(options.adminToken)) {
      await store.setSubjectTokenHash(ADMIN_SUBJECT, hashToken(options.adminToken));
      logger.info('admin token set from FL_ADMIN_TOKEN');
    }
    try {
      await access(tokensFile);
      logger.info({ tokensFile }, `tokens were written at first start to ${tokensFile}`);
    } catch {
      // E.g. a new data directory over an existing PostgreSQL database: the tokens live on
      // wherever the first start wrote them, and cannot be recovered from their hashes.
      logger.warn(
        { tokensFile },
        `no tokens file at ${tokensFile}: the database was initialised elsewhere; use the tokens written then, or set FL_ADMIN_TOKEN`,
      );
    }
    return { tokensFile, firstStart: false };
  }
  const adminToken = options.adminToken ?? generateToken();
  const guestToken = generateToken();
  // Write the file before storing the hashes: a crash in between leaves no subject nobody can use.
  await mkdir(options.dataDir, { recursive: true });
  const file = await open(tokensFile, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await file.writeFile(`Admin=${adminToken}\nGuest=${guestToken}\n`, 'utf8');
  } finally {
    await file.close();
  }
  // The mode given to open() only applies to new files.
  await chmod(tokensFile, 0o600);
  await store.createSubject(ADMIN_SUBJECT, SubjectRole.Admin, hashToken(adminToken));
  if (await store.getSubject(GUEST_SUBJECT)) {
    await store.setSubjectTokenHash(GUEST_SUBJECT, hashToken(guestToken));
  } else {
    await store.createSubject(GUEST_SUBJECT, SubjectRole.Developer, hashToken(guestToken));
  }
  logger.info({ tokensFile }, `first start: admin and guest tokens written to ${tokensFile}`);
  return { tokensFile, firstStart: true };
}
