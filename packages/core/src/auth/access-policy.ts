import { ErrorCode, FlError, SubjectRole } from '@funless/protocol';

import { GrantKind } from '../store/index.js';
import type { FunctionRecord, ModuleRecord, Store } from '../store/index.js';
import type { Principal } from './authenticator.js';
import { DEFAULT_MODULE } from './bootstrap.js';

/** Valid credentials whose role or ownership does not allow the request (HTTP 403). */
export class ForbiddenError extends FlError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super(ErrorCode.Forbidden, message);
  }
}

/** Each role may do what the roles ranked below it may. */
const RANK: Record<SubjectRole, number> = {
  [SubjectRole.Invoker]: 0,
  [SubjectRole.Developer]: 1,
  [SubjectRole.Admin]: 2,
};

/** What a role allows, in the words of a refusal. */
const ALLOWS: Record<SubjectRole, string> = {
  [SubjectRole.Invoker]: 'may only read and invoke functions',
  [SubjectRole.Developer]: 'may manage its own modules, functions and APP scripts',
  [SubjectRole.Admin]: 'may do everything',
};

/** Whether `principal`'s role includes `role`. */
export function hasRole(principal: Principal, role: SubjectRole): boolean {
  return RANK[principal.role] >= RANK[role];
}

/** Refuses (403) a principal whose role does not include `role`, for `doing` (`POST /v1/fn`). */
export function requireRole(principal: Principal, role: SubjectRole, doing: string): void {
  if (hasRole(principal, role)) return;
  throw new ForbiddenError(
    `${principal.name} has the ${principal.role} role, which ${ALLOWS[principal.role]}: ${doing} needs the ${role} role`,
  );
}

/** The admin route that grants `kind` `name` to `subject`. */
function grantRoute(kind: GrantKind, name: string, subject: string): string {
  const base = kind === GrantKind.Module ? '/v1/admin/modules' : '/v1/admin/scripts/app';
  return `PUT ${base}/${name}/grants/${subject}`;
}

/**
 * Who may change what (docs/api.md, "Roles and ownership"): the admin, everything; a developer,
 * what it owns and what the admin granted it; in the shared module `_`, each function belongs to
 * the subject that created it. Roles are checked before this, by the route's declared role.
 */
export class AccessPolicy {
  constructor(private readonly store: Store) {}

  /**
   * Renaming or deleting `module`, or adding functions to it. The shared `_` needs nothing more
   * than the role: it can be neither renamed nor deleted, and every developer may add functions.
   */
  async requireModule(principal: Principal, module: ModuleRecord, doing: string): Promise<void> {
    if (module.name === DEFAULT_MODULE) return;
    await this.require(
      principal,
      GrantKind.Module,
      `module ${module.name}`,
      module.name,
      module.owner,
      doing,
    );
  }

  /** Updating or deleting `fn` of `module`: the module's owner decides, or in `_` the function's. */
  async requireFunction(
    principal: Principal,
    module: ModuleRecord,
    fn: FunctionRecord,
    doing: string,
  ): Promise<void> {
    if (module.name !== DEFAULT_MODULE) {
      await this.requireModule(principal, module, `${doing} its function ${fn.name}`);
      return;
    }
    await this.require(
      principal,
      GrantKind.Module,
      `function ${module.name}/${fn.name}`,
      module.name,
      fn.owner,
      doing,
    );
  }

  /** Replacing, renaming or deleting an APP script. */
  async requireScript(principal: Principal, script: { name: string; owner: string }, doing: string) {
    await this.require(
      principal,
      GrantKind.AppScript,
      `APP script ${script.name}`,
      script.name,
      script.owner,
      doing,
    );
  }

  private async require(
    principal: Principal,
    kind: GrantKind,
    what: string,
    name: string,
    owner: string,
    doing: string,
  ): Promise<void> {
    if (hasRole(principal, SubjectRole.Admin) || principal.name === owner) return;
    if (
      hasRole(principal, SubjectRole.Developer) &&
      (await this.store.hasGrant(kind, name, principal.name))
    ) {
      return;
    }
    throw new ForbiddenError(
      `${what} belongs to ${owner}: ${principal.name} may not ${doing}; its owner and the admin may, ` +
        `and a developer the admin grants it to (${grantRoute(kind, name, principal.name)})`,
    );
  }
}
