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

/**
 * Activation records (docs/activations.md): one row per invocation. The id's first 12 hex digits
 * are the time the Core accepted it, so the primary key orders rows by time. The last four columns
 * belong to asynchronous invocations while they wait or run, and are cleared when they end.
 */
export interface ActivationsTable {
  activation_id: string;
  module: string;
  name: string;
  hash: string | null;
  worker: string | null;
  trigger: string;
  subject: string | null;
  /** Where an event came from (topic, subject, cron); null for the API. */
  source: string | null;
  /** JSON array of sink deliveries; null when none. */
  deliveries: string | null;
  status: string;
  duration_ms: number | null;
  total_ms: number | null;
  error: string | null;
  /** The result's JSON text, or its first bytes when `result_truncated` is 1. */
  result: string | null;
  result_truncated: number;
  /** JSON array of `{stream, text}`. */
  logs: string;
  logs_truncated: number;
  /** The raw JSON of `args`, kept until the invocation starts. */
  input: Uint8Array | null;
  /** JSON of the invocation's `scheduling` request. */
  scheduling: string | null;
  /** Depth in a chain of functions calling functions (`X-Fl-Chain-Depth`). */
  chain_depth: number | null;
  /** The Core that runs it (its id, `$FL_DATA_DIR/core-id`). */
  runner: string | null;
  /** ISO time by which a running invocation has ended, whatever happened to its Core. */
  deadline: string | null;
}

export interface Database {
  modules: ModulesTable;
  functions: FunctionsTable;
  subjects: SubjectsTable;
  app_scripts: AppScriptsTable;
  module_grants: ModuleGrantsTable;
  app_script_grants: AppScriptGrantsTable;
  activations: ActivationsTable;
}
