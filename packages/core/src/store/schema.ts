/** The tables as Kysely sees them. Timestamps are ISO-8601 strings on both databases. */
export interface ModulesTable {
  name: string;
  /** The subject that created the module (docs/api.md, "Roles and ownership"). */
  owner: string;
  created_at: string;
  updated_at: string;
}

export interface FunctionsTable {
  module: string;
  name: string;
  hash: string;
  size: number;
  code: Uint8Array;
  tag: string;
  capacity_mib: number;
  /** JSON array of connection requests. */
  events: string;
  /** JSON array of connection requests. */
  sinks: string;
  /** The subject that created the function: what decides who may change it in the module `_`. */
  owner: string;
  created_at: string;
  updated_at: string;
}

export interface SubjectsTable {
  name: string;
  role: string;
  token_hash: string;
  created_at: string;
  updated_at: string;
}

/** APP scripts: the YAML text exactly as uploaded. */
export interface AppScriptsTable {
  name: string;
  text: string;
  /** The subject that created the script. */
  owner: string;
  created_at: string;
  updated_at: string;
}

/** A subject the admin allowed to change a module it does not own. */
export interface ModuleGrantsTable {
  module: string;
  subject: string;
  created_at: string;
}

/** A subject the admin allowed to change an APP script it does not own. */
export interface AppScriptGrantsTable {
  script: string;
  subject: string;
  created_at: string;
}

export interface Database {
  modules: ModulesTable;
  functions: FunctionsTable;
  subjects: SubjectsTable;
  app_scripts: AppScriptsTable;
  module_grants: ModuleGrantsTable;
  app_script_grants: AppScriptGrantsTable;
}
