import type { Kysely } from 'kysely';

/** What a migration may need to know beyond the connection: column types differ per dialect. */
export interface MigrationContext {
  dialect: 'sqlite' | 'postgres';
}

/** One schema change. Applied once, in list order, recorded by name; never edit a shipped one. */
export interface CoreMigration {
  /** Sortable, unique: `NNNN-what-it-does`. */
  name: string;
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}
