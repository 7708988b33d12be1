/**
 * What the Core keeps: modules, functions (with their code) and subjects. The domain owns this
 * interface; `KyselyStore` implements it on SQLite and PostgreSQL.
 */
import type { ActivationStore } from './activation-store.js';

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
}

/** What an update changes; absent fields stay as they are. */
export interface FunctionPatch {
  name?: string;
  code?: Uint8Array;
  metadata?: FunctionMetadata;
  events?: ConnectionRequest[];
  sinks?: ConnectionRequest[];
}

export const SubjectRole = { Admin: 'admin', Subject: 'subject' } as const;
export type SubjectRole = (typeof SubjectRole)[keyof typeof SubjectRole];

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
  createdAt: Date;
  updatedAt: Date;
}

/** What an update of an APP script changes; absent fields stay as they are. */
export interface AppScriptPatch {
  name?: string;
  text?: string;
}

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
  createModule(name: string): Promise<ModuleRecord>;
  /** Renames a module; its functions follow. */
  renameModule(name: string, newName: string): Promise<ModuleRecord>;
  /** Deletes a module and its functions; resolves to the functions deleted. */
  deleteModule(name: string): Promise<FunctionRecord[]>;

  listFunctions(module: string): Promise<FunctionRecord[]>;
  /** Every function of every module with its code's hash (what Workers may keep cached). */
  listFunctionRefs(): Promise<{ module: string; name: string; hash: string }[]>;
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
  deleteSubject(name: string): Promise<void>;

  /** Every APP script, by name, without its text. */
  listAppScripts(): Promise<Omit<AppScriptRecord, 'text'>[]>;
  getAppScript(name: string): Promise<AppScriptRecord | undefined>;
  createAppScript(name: string, text: string): Promise<AppScriptRecord>;
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
