/** The tables as Kysely sees them. Timestamps are ISO-8601 strings on both databases. */
export interface ModulesTable {
  name: string;
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
  created_at: string;
  updated_at: string;
}

export interface Database {
  modules: ModulesTable;
  functions: FunctionsTable;
  subjects: SubjectsTable;
  app_scripts: AppScriptsTable;
}
