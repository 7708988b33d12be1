import type pg from 'pg';

export interface DedicatedClientOptions {
  /** The PostgreSQL connection string. */
  databaseUrl: string;
  /** Bounds both the connect and every query on the session. */
  timeoutMs: number;
  /** Shown in `pg_stat_activity`, so an operator can tell the sessions apart. */
  applicationName: string;
}

/**
 * A PostgreSQL client outside the store's pool, for a session that must stay one session (advisory
 * locks, LISTEN). Not yet connected: callers attach their 'error'/'end' handlers first.
 */
export async function newDedicatedClient(options: DedicatedClientOptions): Promise<pg.Client> {
  const { default: pgModule } = await import('pg');
  return new pgModule.Client({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: options.timeoutMs,
    query_timeout: options.timeoutMs,
    keepAlive: true,
    application_name: options.applicationName,
  });
}
