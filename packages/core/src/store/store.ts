/**
 * What the Core keeps: modules, functions (with their code), subjects, APP scripts and who may
 * change what. The domain owns this interface; `KyselyStore` implements it on SQLite and PostgreSQL.
 */
import type { SubjectRole } from '@funless/protocol';

import type { ActivationStore } from './activation-store.js';

export { SubjectRole } from '@funless/protocol';

/**
 * The name of the admin subject. It owns what is created without an owner, and inherits what a
 * deleted subject owned.
 */
export const ADMIN_SUBJECT = 'admin';

/** An event or sink connection as the user asked for it: `{"type": "mqtt", "params": {...}}`. */
export interface ConnectionRequest {
  type: string;
  params: Record<string, unknown>;
}

export interface FunctionMetadata {
  /** Placement tag. @default 'default' */
  tag: string;
  /** Memory reserved for one invocation, in MiB. @default 64 */
  capacityMiB: number;
}

export interface ModuleRecord {
  name: string;
  /** The subject that created it (docs/api.md, "Roles and ownership"). */
  owner: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A function without its code. */
export interface FunctionRecord {
  module: string;
  name: string;
  /** Hex SHA-256 of the code. */
  hash: string;
  /** Size of the code in bytes. */
  size: number;
  metadata: FunctionMetadata;
  events: ConnectionRequest[];
  sinks: ConnectionRequest[];
  /** The subject that created it: who may change it in the shared module `_`. */
  owner: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface FunctionWithCode extends FunctionRecord {
  code: Uint8Array;
}

export interface NewFunction {
  module: string;
  name: string;
  code: Uint8Array;
  metadata: FunctionMetadata;
  events: ConnectionRequest[];
  sinks: ConnectionRequest[];
  /** The subject creating it. @default {@link ADMIN_SUBJECT} */
  owner?: string;
}

/** What an update changes; absent fields stay as they are. */
export interface FunctionPatch {
  name?: string;
  code?: Uint8Array;
  metadata?: FunctionMetadata;
  events?: ConnectionRequest[];
  sinks?: ConnectionRequest[];
}

export interface SubjectRecord {
  name: string;
  role: SubjectRole;
  /** Hex SHA-256 of the token; the token itself is never stored. */
  tokenHash: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An APP configuration script: its text exactly as uploaded (it is parsed where it is used). */
export interface AppScriptRecord {
  name: string;
  text: string;
  /** The subject that created it. */
  owner: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What an update of an APP script changes; absent fields stay as they are. */
export interface AppScriptPatch {
  name?: string;
  text?: string;
}

/** What a grant opens to a subject: a module (with its functions), or an APP script. */
export const GrantKind = { Module: 'module', AppScript: 'app_script' } as const;
export type GrantKind = (typeof GrantKind)[keyof typeof GrantKind];

/**
 * Storage of the Core. Methods that change data throw `FlError` with code `not_found` when the
 * entity does not exist and `conflict` when a name is taken.
 */
export interface Store {
  /** Which database this store runs on (for logs). */
  readonly dialect: 'sqlite' | 'postgres';
  /** Activation records (docs/activations.md). */
  readonly activations: ActivationStore;

  listModules(): Promise<ModuleRecord[]>;
  getModule(name: string): Promise<ModuleRecord | undefined>;
  /** `owner` @default {@link ADMIN_SUBJECT} */
  createModule(name: string, owner?: string): Promise<ModuleRecord>;
  /** Renames a module; its functions follow. */
  renameModule(name: string, newName: string): Promise<ModuleRecord>;
  /** Deletes a module and its functions; resolves to the functions deleted. */
  deleteModule(name: string): Promise<FunctionRecord[]>;

  listFunctions(module: string): Promise<FunctionRecord[]>;
  /** Every function of every module with its code's hash (what Workers may keep cached). */
  listFunctionRefs(): Promise<{ module: string; name: string; hash: string }[]>;
  /** Every function with events or sinks, by module and name (what the Core subscribes to). */
  listConnectedFunctions(): Promise<FunctionRecord[]>;
  getFunction(module: string, name: string): Promise<FunctionRecord | undefined>;
  /** The function with its code, as the cluster pushes it to Workers. */
  getFunctionWithCode(module: string, name: string): Promise<FunctionWithCode | undefined>;
  createFunction(fn: NewFunction): Promise<FunctionRecord>;
  updateFunction(module: string, name: string, patch: FunctionPatch): Promise<FunctionRecord>;
  deleteFunction(module: string, name: string): Promise<FunctionRecord>;

  listSubjects(): Promise<SubjectRecord[]>;
  getSubject(name: string): Promise<SubjectRecord | undefined>;
  createSubject(name: string, role: SubjectRole, tokenHash: string): Promise<SubjectRecord>;
  setSubjectTokenHash(name: string, tokenHash: string): Promise<SubjectRecord>;
  setSubjectRole(name: string, role: SubjectRole): Promise<SubjectRecord>;
  /**
   * Deletes a subject and its grants. What it owned (modules, functions, APP scripts) passes to
   * the admin, so that a new subject of the same name does not inherit it.
   */
  deleteSubject(name: string): Promise<void>;

  /** The subjects granted `kind` `name`, sorted; `not_found` when it does not exist. */
  listGrants(kind: GrantKind, name: string): Promise<string[]>;
  hasGrant(kind: GrantKind, name: string, subject: string): Promise<boolean>;
  /**
   * Lets `subject` change `kind` `name`; resolves to false when it already could. `not_found`
   * when the module or script, or the subject, does not exist.
   */
  addGrant(kind: GrantKind, name: string, subject: string): Promise<boolean>;
  /** `not_found` when there is no such grant. */
  removeGrant(kind: GrantKind, name: string, subject: string): Promise<void>;

  /** Every APP script, by name, without its text. */
  listAppScripts(): Promise<Omit<AppScriptRecord, 'text'>[]>;
  getAppScript(name: string): Promise<AppScriptRecord | undefined>;
  /** `owner` @default {@link ADMIN_SUBJECT} */
  createAppScript(name: string, text: string, owner?: string): Promise<AppScriptRecord>;
  /** Replaces the text and/or renames; `conflict` when the new name is taken. */
  updateAppScript(name: string, patch: AppScriptPatch): Promise<AppScriptRecord>;
  deleteAppScript(name: string): Promise<void>;

  /**
   * Runs a trivial query; rejects with `FlError` code `unavailable` when the database does not
   * answer within `timeoutMs`.
   */
  ping(timeoutMs: number): Promise<void>;

  /** Closes the connections; the store is unusable afterwards. */
  close(): Promise<void>;
}
