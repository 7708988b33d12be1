import { codeHash, ErrorCode, FlError } from '@funless/protocol';
import { sql } from 'kysely';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import type { Kysely, Selectable, Transaction } from 'kysely';

import type { ActivationStore } from './activation-store.js';
import { KyselyActivationStore, SqliteActivationInsert } from './kysely-activation-store.js';
import { MIGRATIONS, migrate } from './migrations/index.js';
import type { AppScriptsTable, Database, FunctionsTable, ModulesTable, SubjectsTable } from './schema.js';
import { ADMIN_SUBJECT, GrantKind, SubjectRole } from './store.js';
import { storageUnavailable, storageUnavailableCause } from './unavailable.js';
import type {
  AppScriptPatch,
  AppScriptRecord,
  ConnectionRequest,
  FunctionPatch,
  FunctionRecord,
  FunctionWithCode,
  GrantKind as GrantKindType,
  ModuleRecord,
  NewFunction,
  Store,
  SubjectRecord,
} from './store.js';

function toBuffer(code: Uint8Array): Buffer {
  return Buffer.isBuffer(code) ? code : Buffer.from(code.buffer, code.byteOffset, code.byteLength);
}

function now(): string {
  return new Date().toISOString();
}

/** Both drivers report a taken unique key their own way. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}

const FUNCTION_COLUMNS = [
  'module',
  'name',
  'hash',
  'size',
  'tag',
  'capacity_mib',
  'events',
  'sinks',
  'owner',
  'created_at',
  'updated_at',
] as const;

type FunctionRow = Pick<Selectable<FunctionsTable>, (typeof FUNCTION_COLUMNS)[number]>;

function parseConnections(json: string): ConnectionRequest[] {
  return JSON.parse(json) as ConnectionRequest[];
}

function toModule(row: Selectable<ModulesTable>): ModuleRecord {
  return {
    name: row.name,
    owner: row.owner,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toFunction(row: FunctionRow): FunctionRecord {
  return {
    module: row.module,
    name: row.name,
    hash: row.hash,
    size: Number(row.size),
    metadata: { tag: row.tag, capacityMiB: Number(row.capacity_mib) },
    events: parseConnections(row.events),
    sinks: parseConnections(row.sinks),
    owner: row.owner,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

const ROLES: ReadonlySet<string> = new Set(Object.values(SubjectRole));

function toSubject(row: Selectable<SubjectsTable>): SubjectRecord {
  return {
    name: row.name,
    // A role this Core does not know gets the least it can give.
    role: ROLES.has(row.role) ? (row.role as SubjectRole) : SubjectRole.Invoker,
    tokenHash: row.token_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toAppScript(row: Selectable<AppScriptsTable>): AppScriptRecord {
  return {
    name: row.name,
    text: row.text,
    owner: row.owner,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function appScriptNotFound(name: string): FlError {
  return new FlError(ErrorCode.NotFound, `APP script ${name} not found`);
}

function appScriptExists(name: string): FlError {
  return new FlError(ErrorCode.Conflict, `APP script ${name} already exists`);
}

function moduleNotFound(name: string): FlError {
  return new FlError(ErrorCode.NotFound, `module ${name} not found`);
}

function functionNotFound(module: string, name: string): FlError {
  return new FlError(ErrorCode.NotFound, `function ${module}/${name} not found`);
}

function subjectNotFound(name: string): FlError {
  return new FlError(ErrorCode.NotFound, `subject ${name} not found`);
}

/** Where each kind of grant lives, and how the thing it opens is named in messages. */
const GRANTS = {
  [GrantKind.Module]: {
    table: 'module_grants',
    column: 'module',
    target: 'modules',
    notFound: moduleNotFound,
    what: 'module',
  },
  [GrantKind.AppScript]: {
    table: 'app_script_grants',
    column: 'script',
    target: 'app_scripts',
    notFound: appScriptNotFound,
    what: 'APP script',
  },
} as const;

/** Throws the target's not-found error unless the module or script a grant is about exists. */
async function grantTargetExists(
  tx: Transaction<Database>,
  grants: (typeof GRANTS)[GrantKindType],
  name: string,
): Promise<void> {
  const target = await tx
    .selectFrom(grants.target)
    .select('name')
    .where('name', '=', name)
    .executeTakeFirst();
  if (!target) throw grants.notFound(name);
}

/** `Store` on Kysely: the same queries on SQLite and PostgreSQL. */
export class KyselyStore implements Store {
  readonly activations: ActivationStore;

  private constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: 'sqlite' | 'postgres',
    /** A connection of the activation records' own, closed with the store. */
    private readonly activationsDb: Kysely<Database> | undefined,
    sqliteInsert: SqliteActivationInsert | undefined,
  ) {
    this.activations = new KyselyActivationStore(activationsDb ?? db, sqliteInsert);
  }

  /**
   * Applies pending migrations, then returns the store. Activation records use `activations` when
   * given (SQLite: a connection of their own that commits without waiting for the disk, see
   * openStore, and its raw handle for the batch insert), else `db`. Destroys both if migrating
   * fails.
   */
  static async open(
    db: Kysely<Database>,
    dialect: 'sqlite' | 'postgres',
    activations?: { db: Kysely<Database>; sqlite: BetterSqlite3Database },
  ): Promise<KyselyStore> {
    try {
      await migrate(db as unknown as Kysely<unknown>, MIGRATIONS, { dialect });
    } catch (error) {
      await db.destroy();
      await activations?.db.destroy();
      throw error;
    }
    // Prepared once the table exists.
    const insert = activations && new SqliteActivationInsert(activations.sqlite);
    return new KyselyStore(db, dialect, activations?.db, insert);
  }

  async listModules(): Promise<ModuleRecord[]> {
    const rows = await this.db.selectFrom('modules').selectAll().orderBy('name').execute();
    return rows.map(toModule);
  }

  async getModule(name: string): Promise<ModuleRecord | undefined> {
    const row = await this.db.selectFrom('modules').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toModule(row);
  }

  async createModule(name: string, owner: string = ADMIN_SUBJECT): Promise<ModuleRecord> {
    const t = now();
    const row = { name, owner, created_at: t, updated_at: t };
    try {
      await this.db.insertInto('modules').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new FlError(ErrorCode.Conflict, `module ${name} already exists`);
      throw error;
    }
    return toModule(row);
  }

  async renameModule(name: string, newName: string): Promise<ModuleRecord> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx.selectFrom('modules').selectAll().where('name', '=', name).executeTakeFirst();
      if (!existing) throw moduleNotFound(name);
      if (newName === name) return toModule(existing);
      const taken = await tx
        .selectFrom('modules')
        .select('name')
        .where('name', '=', newName)
        .executeTakeFirst();
      if (taken) throw new FlError(ErrorCode.Conflict, `module ${newName} already exists`);
      const t = now();
      // Functions follow through ON UPDATE CASCADE. The update itself decides: on PostgreSQL a
      // concurrent rename or delete may have committed since the select above.
      let renamed;
      try {
        renamed = await tx
          .updateTable('modules')
          .set({ name: newName, updated_at: t })
          .where('name', '=', name)
          .executeTakeFirst();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new FlError(ErrorCode.Conflict, `module ${newName} already exists`);
        throw error;
      }
      if (renamed.numUpdatedRows === 0n) throw moduleNotFound(name);
      return toModule({ ...existing, name: newName, updated_at: t });
    });
  }

  async deleteModule(name: string): Promise<FunctionRecord[]> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('modules')
        .select('name')
        .where('name', '=', name)
        .executeTakeFirst();
      if (!existing) throw moduleNotFound(name);
      const functions = await tx
        .selectFrom('functions')
        .select(FUNCTION_COLUMNS)
        .where('module', '=', name)
        .execute();
      await tx.deleteFrom('functions').where('module', '=', name).execute();
      const deleted = await tx.deleteFrom('modules').where('name', '=', name).executeTakeFirst();
      // A concurrent delete committed first (PostgreSQL): that one succeeded, this one did not.
      if (deleted.numDeletedRows === 0n) throw moduleNotFound(name);
      return functions.map(toFunction);
    });
  }

  async listFunctionRefs(): Promise<{ module: string; name: string; hash: string }[]> {
    return this.db.selectFrom('functions').select(['module', 'name', 'hash']).execute();
  }

  async listFunctions(module: string): Promise<FunctionRecord[]> {
    const rows = await this.db
      .selectFrom('functions')
      .select(FUNCTION_COLUMNS)
      .where('module', '=', module)
      .orderBy('name')
      .execute();
    return rows.map(toFunction);
  }

  async listConnectedFunctions(): Promise<FunctionRecord[]> {
    const rows = await this.db
      .selectFrom('functions')
      .select(FUNCTION_COLUMNS)
      .where((eb) => eb.or([eb('events', '!=', '[]'), eb('sinks', '!=', '[]')]))
      .orderBy('module')
      .orderBy('name')
      .execute();
    return rows.map(toFunction);
  }

  async getFunction(module: string, name: string): Promise<FunctionRecord | undefined> {
    const row = await this.db
      .selectFrom('functions')
      .select(FUNCTION_COLUMNS)
      .where('module', '=', module)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toFunction(row);
  }

  async getFunctionWithCode(module: string, name: string): Promise<FunctionWithCode | undefined> {
    const row = await this.db
      .selectFrom('functions')
      .selectAll()
      .where('module', '=', module)
      .where('name', '=', name)
      .executeTakeFirst();
    return row && { ...toFunction(row), code: new Uint8Array(row.code) };
  }

  async createFunction(fn: NewFunction): Promise<FunctionRecord> {
    return this.db.transaction().execute(async (tx) => {
      await this.requireModule(tx, fn.module);
      const t = now();
      const row = {
        module: fn.module,
        name: fn.name,
        hash: codeHash(fn.code),
        size: fn.code.byteLength,
        code: toBuffer(fn.code),
        tag: fn.metadata.tag,
        capacity_mib: fn.metadata.capacityMiB,
        events: JSON.stringify(fn.events),
        sinks: JSON.stringify(fn.sinks),
        owner: fn.owner ?? ADMIN_SUBJECT,
        created_at: t,
        updated_at: t,
      };
      try {
        await tx.insertInto('functions').values(row).execute();
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new FlError(ErrorCode.Conflict, `function ${fn.module}/${fn.name} already exists`);
        }
        throw error;
      }
      return toFunction(row);
    });
  }

  async updateFunction(module: string, name: string, patch: FunctionPatch): Promise<FunctionRecord> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('functions')
        .select(FUNCTION_COLUMNS)
        .where('module', '=', module)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!existing) {
        await this.requireModule(tx, module);
        throw functionNotFound(module, name);
      }
      const newName = patch.name ?? name;
      if (newName !== name) {
        const taken = await tx
          .selectFrom('functions')
          .select('name')
          .where('module', '=', module)
          .where('name', '=', newName)
          .executeTakeFirst();
        if (taken) throw new FlError(ErrorCode.Conflict, `function ${module}/${newName} already exists`);
      }
      const changes: Partial<FunctionsTable> = { name: newName, updated_at: now() };
      if (patch.code) {
        changes.code = toBuffer(patch.code);
        changes.hash = codeHash(patch.code);
        changes.size = patch.code.byteLength;
      }
      if (patch.metadata) {
        changes.tag = patch.metadata.tag;
        changes.capacity_mib = patch.metadata.capacityMiB;
      }
      if (patch.events) changes.events = JSON.stringify(patch.events);
      if (patch.sinks) changes.sinks = JSON.stringify(patch.sinks);
      let updated;
      try {
        updated = await tx
          .updateTable('functions')
          .set(changes)
          .where('module', '=', module)
          .where('name', '=', name)
          .executeTakeFirst();
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new FlError(ErrorCode.Conflict, `function ${module}/${newName} already exists`);
        }
        throw error;
      }
      // A concurrent rename or delete committed since the select above (PostgreSQL).
      if (updated.numUpdatedRows === 0n) throw functionNotFound(module, name);
      const { code: _code, ...rest } = changes;
      return toFunction({ ...existing, ...rest });
    });
  }

  async deleteFunction(module: string, name: string): Promise<FunctionRecord> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('functions')
        .select(FUNCTION_COLUMNS)
        .where('module', '=', module)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!existing) {
        await this.requireModule(tx, module);
        throw functionNotFound(module, name);
      }
      const deleted = await tx
        .deleteFrom('functions')
        .where('module', '=', module)
        .where('name', '=', name)
        .executeTakeFirst();
      if (deleted.numDeletedRows === 0n) throw functionNotFound(module, name);
      return toFunction(existing);
    });
  }

  async listSubjects(): Promise<SubjectRecord[]> {
    const rows = await this.db.selectFrom('subjects').selectAll().orderBy('name').execute();
    return rows.map(toSubject);
  }

  async getSubject(name: string): Promise<SubjectRecord | undefined> {
    const row = await this.db.selectFrom('subjects').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toSubject(row);
  }

  async createSubject(name: string, role: SubjectRole, tokenHash: string): Promise<SubjectRecord> {
    const t = now();
    const row = { name, role, token_hash: tokenHash, created_at: t, updated_at: t };
    try {
      await this.db.insertInto('subjects').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw new FlError(ErrorCode.Conflict, `subject ${name} already exists`);
      throw error;
    }
    return toSubject(row);
  }

  async setSubjectTokenHash(name: string, tokenHash: string): Promise<SubjectRecord> {
    const t = now();
    const result = await this.db
      .updateTable('subjects')
      .set({ token_hash: tokenHash, updated_at: t })
      .where('name', '=', name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw subjectNotFound(name);
    const subject = await this.getSubject(name);
    if (!subject) throw subjectNotFound(name);
    return subject;
  }

  async setSubjectRole(name: string, role: SubjectRole): Promise<SubjectRecord> {
    const result = await this.db
      .updateTable('subjects')
      .set({ role, updated_at: now() })
      .where('name', '=', name)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw subjectNotFound(name);
    const subject = await this.getSubject(name);
    if (!subject) throw subjectNotFound(name);
    return subject;
  }

  async deleteSubject(name: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      // Grants go with the subject (ON DELETE CASCADE); what it owned stays, the admin's now.
      for (const table of ['modules', 'functions', 'app_scripts'] as const) {
        await tx.updateTable(table).set({ owner: ADMIN_SUBJECT }).where('owner', '=', name).execute();
      }
      const result = await tx.deleteFrom('subjects').where('name', '=', name).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw subjectNotFound(name);
    });
  }

  async listGrants(kind: GrantKindType, name: string): Promise<string[]> {
    const grants = GRANTS[kind];
    return this.db.transaction().execute(async (tx) => {
      await grantTargetExists(tx, grants, name);
      const rows = await tx
        .selectFrom(grants.table)
        .select('subject')
        .where(grants.column, '=', name)
        .orderBy('subject')
        .execute();
      return rows.map((row) => row.subject);
    });
  }

  async hasGrant(kind: GrantKindType, name: string, subject: string): Promise<boolean> {
    const grants = GRANTS[kind];
    const row = await this.db
      .selectFrom(grants.table)
      .select('subject')
      .where(grants.column, '=', name)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row !== undefined;
  }

  async addGrant(kind: GrantKindType, name: string, subject: string): Promise<boolean> {
    const grants = GRANTS[kind];
    return this.db.transaction().execute(async (tx) => {
      await grantTargetExists(tx, grants, name);
      const found = await tx
        .selectFrom('subjects')
        .select('name')
        .where('name', '=', subject)
        .executeTakeFirst();
      if (!found) throw subjectNotFound(subject);
      // Inserting nothing when the grant exists, rather than failing on the key, keeps the
      // transaction usable on PostgreSQL, where a failed statement aborts it.
      const inserted = await tx
        .insertInto(grants.table)
        .values({ [grants.column]: name, subject, created_at: now() })
        .onConflict((c) => c.columns([grants.column, 'subject']).doNothing())
        .executeTakeFirst();
      return (inserted.numInsertedOrUpdatedRows ?? 0n) > 0n;
    });
  }

  async removeGrant(kind: GrantKindType, name: string, subject: string): Promise<void> {
    const grants = GRANTS[kind];
    const result = await this.db
      .deleteFrom(grants.table)
      .where(grants.column, '=', name)
      .where('subject', '=', subject)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) {
      throw new FlError(ErrorCode.NotFound, `${subject} has no grant on ${grants.what} ${name}`);
    }
  }

  async listAppScripts(): Promise<Omit<AppScriptRecord, 'text'>[]> {
    const rows = await this.db
      .selectFrom('app_scripts')
      .select(['name', 'owner', 'created_at', 'updated_at'])
      .orderBy('name')
      .execute();
    return rows.map((row) => ({
      name: row.name,
      owner: row.owner,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    }));
  }

  async getAppScript(name: string): Promise<AppScriptRecord | undefined> {
    const row = await this.db
      .selectFrom('app_scripts')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row && toAppScript(row);
  }

  async createAppScript(name: string, text: string, owner: string = ADMIN_SUBJECT): Promise<AppScriptRecord> {
    const t = now();
    const row = { name, text, owner, created_at: t, updated_at: t };
    try {
      await this.db.insertInto('app_scripts').values(row).execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw appScriptExists(name);
      throw error;
    }
    return toAppScript(row);
  }

  async updateAppScript(name: string, patch: AppScriptPatch): Promise<AppScriptRecord> {
    return this.db.transaction().execute(async (tx) => {
      const existing = await tx
        .selectFrom('app_scripts')
        .selectAll()
        .where('name', '=', name)
        .executeTakeFirst();
      if (!existing) throw appScriptNotFound(name);
      const newName = patch.name ?? name;
      if (newName !== name) {
        const taken = await tx
          .selectFrom('app_scripts')
          .select('name')
          .where('name', '=', newName)
          .executeTakeFirst();
        if (taken) throw appScriptExists(newName);
      }
      const changes = { name: newName, text: patch.text ?? existing.text, updated_at: now() };
      try {
        const updated = await tx
          .updateTable('app_scripts')
          .set(changes)
          .where('name', '=', name)
          .executeTakeFirst();
        // A concurrent rename or delete committed since the select above (PostgreSQL).
        if (updated.numUpdatedRows === 0n) throw appScriptNotFound(name);
      } catch (error) {
        // Another Core took the name between the check and the update.
        if (isUniqueViolation(error)) throw appScriptExists(newName);
        throw error;
      }
      return toAppScript({ ...existing, ...changes });
    });
  }

  async deleteAppScript(name: string): Promise<void> {
    const result = await this.db.deleteFrom('app_scripts').where('name', '=', name).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw appScriptNotFound(name);
  }

  async ping(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(storageUnavailable(`no answer to a trivial query within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([sql`select 1`.execute(this.db), timeout]);
    } catch (error) {
      if (error instanceof FlError) throw error;
      throw storageUnavailable(storageUnavailableCause(error) ?? String(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.activationsDb?.destroy();
  }

  private async requireModule(tx: Transaction<Database>, module: string): Promise<void> {
    const found = await tx.selectFrom('modules').select('name').where('name', '=', module).executeTakeFirst();
    if (!found) throw moduleNotFound(module);
  }
}
