import type { ActivationStore } from './activation-store.js';
import type { ChangeFeed } from './change-feed.js';
import type {
  AppScriptPatch,
  AppScriptRecord,
  FunctionPatch,
  FunctionRecord,
  FunctionWithCode,
  GrantKind,
  ModuleRecord,
  NewFunction,
  Store,
  SubjectRecord,
  SubjectRole,
} from './store.js';

export interface CachedStoreOptions {
  /**
   * Changes made by other Cores; without one, every change goes through this store (one Core, as
   * on SQLite). @default none
   */
  changes?: ChangeFeed;
  /**
   * Longest an entry is trusted, in ms: the safety net under the change feed, should a
   * notification ever be lost (docs/architecture.md, "Several Cores"). @default 10_000
   */
  maxAgeMs?: number;
  /** Most functions cached; the function cache empties when full. @default 10_000 */
  maxFunctions?: number;
  /** @default Date.now */
  now?: () => number;
  /** Called once the store is closed: what else it holds (the data directory's lock) is released. */
  onClose?: () => void | Promise<void>;
}

export const DEFAULT_CACHE_MAX_AGE_MS = 10_000;

/** What is cached: each write names the parts it may change, each notified table too. */
const Part = { Subjects: 'subjects', Functions: 'functions', AppScripts: 'app_scripts' } as const;
type Part = (typeof Part)[keyof typeof Part];
const ALL_PARTS: readonly Part[] = Object.values(Part);

/** The parts a change to each table can make stale (a table not listed: all of them). */
const PARTS_OF_TABLE: Readonly<Record<string, readonly Part[]>> = {
  modules: [Part.Functions],
  functions: [Part.Functions],
  subjects: [Part.Subjects],
  app_scripts: [Part.AppScripts],
  module_grants: [],
  app_script_grants: [],
};

interface Entry<T> {
  value: Promise<T>;
  loadedAt: number;
}

/** One cached part: entries by key, and a generation that a change bumps. */
class Part_<T> {
  constructor(readonly name: Part) {}
  readonly entries = new Map<string, Entry<T>>();
  generation = 0;
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}

/**
 * The one cache in front of the store: what every request reads (the subjects, for tokens; a
 * function, for an invocation; an APP script, for a policy) is answered from memory. Each write
 * method forgets what it may have changed once the write is done; changes other Cores make arrive
 * through `changes` and are forgotten the same way. While the feed is not listening (the database
 * connection was lost), nothing is cached and every read goes to the database: changes missed
 * meanwhile cannot be served stale once it is back. Every other method passes through.
 */
export class CachedStore implements Store {
  // TypeScript-private, not #private: tests (and embedders) may wrap the store in a Proxy.
  private readonly inner: Store;
  private readonly changes: ChangeFeed | undefined;
  private readonly maxAgeMs: number;
  private readonly maxFunctions: number;
  private readonly now: () => number;
  private readonly onClose: (() => void | Promise<void>) | undefined;
  private readonly subjects = new Part_<SubjectRecord[]>(Part.Subjects);
  private readonly functions = new Part_<FunctionRecord | undefined>(Part.Functions);
  private readonly appScripts = new Part_<AppScriptRecord | undefined>(Part.AppScripts);
  /** Counts of what reached the database, and of what was forgotten (for tests and metrics). */
  readonly counters = {
    loads: { subjects: 0, functions: 0, app_scripts: 0 } as Record<Part, number>,
    invalidations: 0,
    /** Changes other Cores announced (each also counts as an invalidation). */
    notifications: 0,
    gaps: 0,
  };

  constructor(inner: Store, options: CachedStoreOptions = {}) {
    this.inner = inner;
    this.changes = options.changes;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_CACHE_MAX_AGE_MS;
    this.maxFunctions = options.maxFunctions ?? 10_000;
    this.now = options.now ?? Date.now;
    this.onClose = options.onClose;
    this.changes?.start({
      changed: (table) => {
        this.counters.notifications++;
        this.forget(PARTS_OF_TABLE[table] ?? ALL_PARTS);
      },
      gap: () => {
        this.counters.gaps++;
        this.forget(ALL_PARTS);
      },
      resumed: () => this.forget(ALL_PARTS),
    });
  }

  get dialect(): Store['dialect'] {
    return this.inner.dialect;
  }

  get activations(): ActivationStore {
    return this.inner.activations;
  }

  /**
   * Why the cache cannot be trusted right now (the change feed is not listening), or undefined
   * when it can. Reads still work meanwhile, from the database.
   */
  get unavailableReason(): string | undefined {
    return this.changes === undefined || this.changes.listening
      ? undefined
      : 'not listening to the changes of other Cores (the database connection was lost); caches are off until it is back';
  }

  // --- cached reads -------------------------------------------------------------------------

  listSubjects(): Promise<SubjectRecord[]> {
    return this.cached(this.subjects, '', () => this.inner.listSubjects());
  }

  getFunction(module: string, name: string): Promise<FunctionRecord | undefined> {
    if (this.functions.entries.size >= this.maxFunctions) this.functions.clear();
    return this.cached(this.functions, `${module}/${name}`, () => this.inner.getFunction(module, name));
  }

  getAppScript(name: string): Promise<AppScriptRecord | undefined> {
    return this.cached(this.appScripts, name, () => this.inner.getAppScript(name));
  }

  // --- writes: each forgets what it may change ----------------------------------------------

  createModule(name: string, owner?: string): Promise<ModuleRecord> {
    return this.write([Part.Functions], () => this.inner.createModule(name, owner));
  }
  renameModule(name: string, newName: string): Promise<ModuleRecord> {
    return this.write([Part.Functions], () => this.inner.renameModule(name, newName));
  }
  deleteModule(name: string): Promise<FunctionRecord[]> {
    return this.write([Part.Functions], () => this.inner.deleteModule(name));
  }
  createFunction(fn: NewFunction): Promise<FunctionRecord> {
    return this.write([Part.Functions], () => this.inner.createFunction(fn));
  }
  updateFunction(module: string, name: string, patch: FunctionPatch): Promise<FunctionRecord> {
    return this.write([Part.Functions], () => this.inner.updateFunction(module, name, patch));
  }
  deleteFunction(module: string, name: string): Promise<FunctionRecord> {
    return this.write([Part.Functions], () => this.inner.deleteFunction(module, name));
  }
  createSubject(name: string, role: SubjectRole, tokenHash: string): Promise<SubjectRecord> {
    return this.write([Part.Subjects], () => this.inner.createSubject(name, role, tokenHash));
  }
  setSubjectTokenHash(name: string, tokenHash: string): Promise<SubjectRecord> {
    return this.write([Part.Subjects], () => this.inner.setSubjectTokenHash(name, tokenHash));
  }
  setSubjectRole(name: string, role: SubjectRole): Promise<SubjectRecord> {
    return this.write([Part.Subjects], () => this.inner.setSubjectRole(name, role));
  }
  /** What the subject owned passes to the admin: cached owners change too. */
  deleteSubject(name: string): Promise<void> {
    return this.write(ALL_PARTS, () => this.inner.deleteSubject(name));
  }
  createAppScript(name: string, text: string, owner?: string): Promise<AppScriptRecord> {
    return this.write([Part.AppScripts], () => this.inner.createAppScript(name, text, owner));
  }
  updateAppScript(name: string, patch: AppScriptPatch): Promise<AppScriptRecord> {
    return this.write([Part.AppScripts], () => this.inner.updateAppScript(name, patch));
  }
  deleteAppScript(name: string): Promise<void> {
    return this.write([Part.AppScripts], () => this.inner.deleteAppScript(name));
  }

  // --- not cached: grants are read only by the routes that change things --------------------

  addGrant(kind: GrantKind, name: string, subject: string): Promise<boolean> {
    return this.inner.addGrant(kind, name, subject);
  }
  removeGrant(kind: GrantKind, name: string, subject: string): Promise<void> {
    return this.inner.removeGrant(kind, name, subject);
  }
  listGrants(kind: GrantKind, name: string): Promise<string[]> {
    return this.inner.listGrants(kind, name);
  }
  hasGrant(kind: GrantKind, name: string, subject: string): Promise<boolean> {
    return this.inner.hasGrant(kind, name, subject);
  }
  listModules(): Promise<ModuleRecord[]> {
    return this.inner.listModules();
  }
  getModule(name: string): Promise<ModuleRecord | undefined> {
    return this.inner.getModule(name);
  }
  listConnectedFunctions(): Promise<FunctionRecord[]> {
    // Read through: the Core compares it with what runs, every sync interval.
    return this.inner.listConnectedFunctions();
  }

  listFunctions(module: string): Promise<FunctionRecord[]> {
    return this.inner.listFunctions(module);
  }
  listFunctionRefs(): Promise<{ module: string; name: string; hash: string }[]> {
    return this.inner.listFunctionRefs();
  }
  getFunctionWithCode(module: string, name: string): Promise<FunctionWithCode | undefined> {
    return this.inner.getFunctionWithCode(module, name);
  }
  getSubject(name: string): Promise<SubjectRecord | undefined> {
    return this.inner.getSubject(name);
  }
  listAppScripts(): Promise<Omit<AppScriptRecord, 'text'>[]> {
    return this.inner.listAppScripts();
  }
  ping(timeoutMs: number): Promise<void> {
    return this.inner.ping(timeoutMs);
  }

  async close(): Promise<void> {
    try {
      await this.changes?.close();
      await this.inner.close();
    } finally {
      await this.onClose?.();
    }
  }

  private cached<T>(part: Part_<T>, key: string, load: () => Promise<T>): Promise<T> {
    const entry = part.entries.get(key);
    const now = this.now();
    if (entry !== undefined && now - entry.loadedAt < this.maxAgeMs) return entry.value;
    this.counters.loads[part.name]++;
    const value = load();
    // Nothing is kept while changes may be missed, nor a load a change overtook (the generation
    // moved while it ran), nor a failed load.
    if (this.unavailableReason !== undefined) return value;
    const generation = part.generation;
    const fresh: Entry<T> = { value, loadedAt: now };
    part.entries.set(key, fresh);
    value.then(
      () => {
        if (part.generation !== generation && part.entries.get(key) === fresh) part.entries.delete(key);
      },
      () => {
        if (part.entries.get(key) === fresh) part.entries.delete(key);
      },
    );
    return value;
  }

  private async write<T>(parts: readonly Part[], write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      // Also after a failure: a write that timed out may still have committed.
      this.forget(parts);
    }
  }

  private forget(parts: readonly Part[]): void {
    this.counters.invalidations++;
    for (const part of parts) {
      if (part === Part.Subjects) this.subjects.clear();
      else if (part === Part.Functions) this.functions.clear();
      else this.appScripts.clear();
    }
  }
}
