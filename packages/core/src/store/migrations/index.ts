import { initialMigration } from './0001-initial.js';
import { appScriptsMigration } from './0002-app-scripts.js';
import { rolesAndOwnersMigration } from './0003-roles-and-owners.js';
import { activationsMigration } from './0004-activations.js';
import { eventActivationsMigration } from './0005-event-activations.js';
import { changeNotificationsMigration } from './0006-change-notifications.js';
import type { CoreMigration } from './core-migration.js';

export type { CoreMigration, MigrationContext } from './core-migration.js';
export { MIGRATIONS_TABLE, migrate } from './migrate.js';
export { CHANGES_CHANNEL, NOTIFYING_TABLES } from './0006-change-notifications.js';

/**
 * Every migration, in the order they apply. To change the schema, add a file
 * `NNNN-what-it-does.ts` beside this one and append its migration here; never edit or reorder
 * a migration that has shipped.
 */
export const MIGRATIONS: readonly CoreMigration[] = [
  initialMigration,
  appScriptsMigration,
  rolesAndOwnersMigration,
  activationsMigration,
  eventActivationsMigration,
  changeNotificationsMigration,
];
