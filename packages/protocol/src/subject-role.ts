/**
 * What a subject may do (docs/api.md, "Roles and ownership"). Shared by the Core, which enforces
 * roles, and the CLI, which offers them.
 */
export const SubjectRole = {
  /** Everything, including `/v1/admin/*`; only the `admin` subject has it. */
  Admin: 'admin',
  /** Reads and invokes functions, creates modules, functions and APP scripts, changes its own. */
  Developer: 'developer',
  /** Reads modules and functions and invokes functions; changes nothing. */
  Invoker: 'invoker',
} as const;
export type SubjectRole = (typeof SubjectRole)[keyof typeof SubjectRole];

/** The roles the admin may give a subject (the admin role is the admin subject's alone). */
export const ASSIGNABLE_ROLES: readonly SubjectRole[] = [SubjectRole.Developer, SubjectRole.Invoker];

/** The role of a subject created without one: what every subject could do before roles existed. */
export const DEFAULT_SUBJECT_ROLE: SubjectRole = SubjectRole.Developer;
