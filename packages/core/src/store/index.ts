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
export { SQLITE_FILE, openStore } from './open-store.js';
export type { StoreOptions } from './open-store.js';
export { MIGRATIONS, MIGRATIONS_TABLE, migrate } from './migrations/index.js';
export type { CoreMigration, MigrationContext } from './migrations/index.js';
export { storageUnavailable, storageUnavailableCause } from './unavailable.js';
