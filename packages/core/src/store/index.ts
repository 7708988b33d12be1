export type {
  AppScriptPatch,
  AppScriptRecord,
  ConnectionRequest,
  FunctionMetadata,
  FunctionPatch,
  FunctionRecord,
  FunctionWithCode,
  ModuleRecord,
  NewFunction,
  Store,
  SubjectRecord,
} from './store.js';
export { ADMIN_SUBJECT, GrantKind, SubjectRole } from './store.js';
export type {
  ActivationOutcome,
  ActivationQuery,
  ActivationRecord,
  ActivationStatus,
  ActivationStore,
  ActivationSummary,
  QueuedActivation,
  SinkDelivery,
} from './activation-store.js';
export {
  ACTIVATION_STATUSES,
  ACTIVATION_TRIGGERS,
  ActivationState,
  ActivationTrigger,
  eventTrigger,
  UNFINISHED_STATUSES,
} from './activation-store.js';
export { KyselyStore } from './kysely-store.js';
export { CachedStore, DEFAULT_CACHE_MAX_AGE_MS } from './cached-store.js';
export type { CachedStoreOptions } from './cached-store.js';
export type { ChangeFeed, ChangeListener } from './change-feed.js';
export { PostgresChangeFeed } from './postgres-change-feed.js';
export type { PostgresChangeFeedOptions } from './postgres-change-feed.js';
export { SQLITE_FILE, openStore } from './open-store.js';
export { DataDirLock, LOCK_FILE } from './data-dir-lock.js';
export type { StoreOptions } from './open-store.js';
export { CHANGES_CHANNEL, MIGRATIONS, MIGRATIONS_TABLE, migrate } from './migrations/index.js';
export type { CoreMigration, MigrationContext } from './migrations/index.js';
export { storageUnavailable, storageUnavailableCause } from './unavailable.js';
