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
  activations: ActivationsTable;
}
