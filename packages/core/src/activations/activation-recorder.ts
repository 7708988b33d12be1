import { setImmediate as nextTurn } from 'node:timers/promises';

import { ConfigError } from '@funless/protocol';
import type { Logger } from 'pino';

import type { ActivationMetrics } from '../metrics/index.js';
import { storageUnavailableCause } from '../store/index.js';

import type {
  ActivationQuery,
  ActivationRecord,
  ActivationStore,
  ActivationSummary,
} from '../store/index.js';
import { ActivationIds, firstIdAt } from './activation-id.js';

const DAY_MS = 24 * 3600 * 1000;

/** How activation records are kept (docs/configuration.md, "Activations"). */
export interface ActivationRecorderOptions {
  /** Days a finished activation is kept (`FL_ACTIVATION_RETENTION_DAYS`); 0 turns recording off. @default 7 */
  retentionDays?: number;
  /** Most finished activations kept (`FL_ACTIVATION_MAX`); 0 turns recording off. @default 100_000 */
  maxRecords?: number;
  /** Longest a record waits in memory before it is written, in ms. @default 100 */
  flushIntervalMs?: number;
  /** Most records written in one statement; this many waiting are written at once. @default 500 */
  maxBatch?: number;
  /**
   * Most bytes of records held in memory while the database is slow or unavailable; records beyond
   * are dropped (counted, and logged). @default 32 MiB
   */
  maxBufferedBytes?: number;
  /** Time between two pruning passes, in ms. @default 60_000 */
  pruneIntervalMs?: number;
  /** Most records one delete statement removes; a pass repeats it, yielding in between. @default 1_000 */
  pruneBatch?: number;
  /** Wait after a failed write before the next attempt, in ms. @default 1_000 */
  retryMs?: number;
}

export const DEFAULT_ACTIVATION_RECORDER_OPTIONS: Required<ActivationRecorderOptions> = {
  retentionDays: 7,
  maxRecords: 100_000,
  flushIntervalMs: 100,
  maxBatch: 500,
  maxBufferedBytes: 32 * 1024 * 1024,
  pruneIntervalMs: 60_000,
  pruneBatch: 1_000,
  retryMs: 1_000,
};

function checked(options: ActivationRecorderOptions): Required<ActivationRecorderOptions> {
  const o = { ...DEFAULT_ACTIVATION_RECORDER_OPTIONS, ...options };
  for (const [key, min] of [
    ['retentionDays', 0],
    ['maxRecords', 0],
    ['flushIntervalMs', 0],
    ['maxBatch', 1],
    ['maxBufferedBytes', 0],
    ['pruneIntervalMs', 1],
    ['pruneBatch', 1],
    ['retryMs', 1],
  ] as const) {
    const value = o[key];
    if (!Number.isSafeInteger(value) || value < min) {
      throw new ConfigError(
        `activation recorder option ${key} must be an integer of at least ${min}, got ${String(value)}`,
      );
    }
  }
  return o;
}

/** Bytes a record holds in memory, roughly: its texts plus room for the rest. */
function sizeOf(record: ActivationRecord): number {
  let bytes = 256 + (record.result?.length ?? 0) + (record.error?.length ?? 0);
  for (const line of record.logs) bytes += line.text.length + 16;
  return bytes;
}

function summary(record: ActivationRecord): ActivationSummary {
  const { result: _result, error: _error, logs: _logs, ...rest } = record;
  return rest;
}

function matches(record: ActivationRecord, query: Omit<ActivationQuery, 'limit'>): boolean {
  return (
    (query.module === undefined || record.module === query.module) &&
    (query.function === undefined || record.function === query.function) &&
    (query.status === undefined || record.status === query.status) &&
    (query.fromId === undefined || record.id >= query.fromId) &&
    (query.belowId === undefined || record.id < query.belowId)
  );
}

/**
 * The Core's account of what ran. Records of invocations are kept in memory and written in batches
 * behind the invocations (an invocation never waits for the database), at most `flushIntervalMs`
 * after they were made, and all of them on `close()`; reads see the records not written yet. In the
 * background it prunes finished records by age and by count. See docs/activations.md.
 */
export class ActivationRecorder {
  /** False when `retentionDays` or `maxRecords` is 0: nothing is recorded, nothing pruned. */
  readonly enabled: boolean;
  readonly options: Required<ActivationRecorderOptions>;
  /** The ids of this Core's activations. */
  readonly ids = new ActivationIds();
  readonly counters = { written: 0, dropped: 0, pruned: 0, failedWrites: 0 };

  readonly #store: ActivationStore;
  readonly #log: Logger;
  /** Records not written yet, in the order they were made (those being written included). */
  readonly #unwritten = new Map<string, ActivationRecord>();
  #waiting: ActivationRecord[] = [];
  #bufferedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #pruning: Promise<number> | undefined;
  #closed = false;
  /** The last write failed: wait for the retry rather than hammer the database. */
  #failing = false;
  /** Counts running: no write starts meanwhile, so no record is counted both in memory and stored. */
  #counting = 0;
  #writeAfterCounts = false;
  #lastDropWarning = 0;

  readonly #metrics: ActivationMetrics | undefined;

  /** `metrics` is told how many records were written and pruned (`GET /metrics`). */
  constructor(
    store: ActivationStore,
    logger: Logger,
    options: ActivationRecorderOptions = {},
    metrics?: ActivationMetrics,
  ) {
    this.#store = store;
    this.#log = logger;
    this.#metrics = metrics;
    this.options = checked(options);
    this.enabled = this.options.retentionDays > 0 && this.options.maxRecords > 0;
  }

  /**
   * Starts pruning: once now, then every `pruneIntervalMs`. The Core calls it while it owns the
   * cluster's retention (one Core at a time prunes the shared records: docs/activations.md).
   */
  start(): void {
    if (!this.enabled || this.#closed || this.#pruneTimer) return;
    const pass = () => {
      this.#pruning ??= this.prune()
        .catch((error: unknown) => {
          this.#log.warn({ err: error }, 'activations: pruning failed; trying again later');
          return 0;
        })
        .finally(() => (this.#pruning = undefined));
    };
    this.#pruneTimer = setInterval(pass, this.options.pruneIntervalMs).unref();
    pass();
  }

  /** Stops pruning (another Core may own the retention now); waits for a pass that is running. */
  async stopPruning(): Promise<void> {
    clearInterval(this.#pruneTimer);
    this.#pruneTimer = undefined;
    await this.#pruning;
  }

  /** Keeps `record`; it is written within `flushIntervalMs`. Dropped (and counted) when the buffer is full. */
  record(record: ActivationRecord): void {
    if (!this.enabled) return;
    const size = sizeOf(record);
    if (this.#bufferedBytes + size > this.options.maxBufferedBytes) {
      this.counters.dropped++;
      const now = Date.now();
      if (now - this.#lastDropWarning > 10_000) {
        this.#lastDropWarning = now;
        this.#log.warn(
          { dropped: this.counters.dropped, bufferedBytes: this.#bufferedBytes },
          'activations: records dropped, the database does not keep up (or is unavailable)',
        );
      }
      return;
    }
    this.#bufferedBytes += size;
    this.#unwritten.set(record.id, record);
    this.#waiting.push(record);
    if (this.#writing) return;
    if (this.#waiting.length >= this.options.maxBatch && !this.#failing) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#startWriting();
    } else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#startWriting();
      }, this.options.flushIntervalMs);
    }
  }

  /** Resolves once every record made so far is written; rejects when a write fails. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#writing) {
        await this.#writing;
        continue;
      }
      if (this.#waiting.length === 0) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#write();
    }
  }

  async get(id: string): Promise<ActivationRecord | undefined> {
    return this.#unwritten.get(id) ?? (await this.#store.get(id));
  }

  /** Newest first, the records not written yet included. */
  async list(query: ActivationQuery): Promise<ActivationSummary[]> {
    // Taken before the query: a batch whose write commits while the query runs leaves memory
    // then, and the query may not see it yet.
    const before = [...this.#unwritten.values()];
    const stored = await this.#store.list(query);
    if (before.length === 0 && this.#unwritten.size === 0) return stored;
    const byId = new Map(stored.map((s) => [s.id, s]));
    for (const record of [...before, ...this.#unwritten.values()]) {
      if (matches(record, query)) byId.set(record.id, summary(record));
    }
    return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, query.limit);
  }

  /** How many records match, the ones not written yet included. */
  async count(query: Omit<ActivationQuery, 'limit'>, atMost?: number): Promise<number> {
    // A batch being written may or may not be in the database's count yet: let it land first.
    while (this.#writing) await this.#writing.catch(() => {});
    this.#counting++;
    try {
      let unwritten = 0;
      for (const record of this.#unwritten.values()) if (matches(record, query)) unwritten++;
      return (await this.#store.count(query, atMost)) + unwritten;
    } finally {
      this.#counting--;
      if (this.#counting === 0 && this.#writeAfterCounts) {
        this.#writeAfterCounts = false;
        this.#startWriting();
      }
    }
  }

  /**
   * One pruning pass: deletes finished records older than `retentionDays`, then the oldest beyond
   * `maxRecords`, in batches of `pruneBatch`. Resolves to how many it deleted.
   */
  async prune(now: number = Date.now()): Promise<number> {
    if (!this.enabled) return 0;
    let deleted = await this.#deleteBelow(firstIdAt(now - this.options.retentionDays * DAY_MS));
    const cutoff = this.#closed ? undefined : await this.#store.keptFrom(this.options.maxRecords);
    if (cutoff !== undefined) deleted += await this.#deleteBelow(cutoff);
    this.counters.pruned += deleted;
    if (deleted > 0) this.#metrics?.recordsPruned(deleted);
    if (deleted > 0) this.#log.debug({ deleted }, 'activations: pruned');
    return deleted;
  }

  /** Stops pruning and writes every record still in memory. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stopPruning();
    try {
      await this.flush();
    } catch (error) {
      this.#log.error(
        { err: error, lost: this.#waiting.length },
        'activations: records could not be written before the Core stopped',
      );
    }
  }

  async #deleteBelow(id: string): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.#store.deleteBelow(id, this.options.pruneBatch);
      total += n;
      if (n < this.options.pruneBatch || this.#closed) return total;
      // Let invocations through between two batches.
      await nextTurn();
    }
  }

  #startWriting(): void {
    if (this.#writing || this.#waiting.length === 0) return;
    if (this.#counting > 0) {
      this.#writeAfterCounts = true;
      return;
    }
    this.#write().catch((error: unknown) => {
      this.#log.warn(
        { err: error, waiting: this.#waiting.length },
        `activations: writing records failed; trying again in ${this.options.retryMs} ms`,
      );
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        this.#startWriting();
      }, this.options.retryMs);
    });
  }

  #forget(batch: readonly ActivationRecord[]): void {
    for (const record of batch) {
      this.#unwritten.delete(record.id);
      this.#bufferedBytes -= sizeOf(record);
    }
  }

  /** Writes the waiting records in batches; a batch that fails goes back to the front of the line. */
  #write(): Promise<void> {
    const writing = (async () => {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.options.maxBatch);
        try {
          await this.#store.insert(batch);
        } catch (error) {
          this.counters.failedWrites++;
          if (storageUnavailableCause(error) === undefined) {
            // Not the database being away: writing this batch again would fail again, and hold
            // every record after it. It is given up, and said so.
            this.#forget(batch);
            this.counters.dropped += batch.length;
            this.#log.error(
              { err: error, dropped: batch.length },
              'activations: a batch of records could not be written and is dropped',
            );
            continue;
          }
          this.#failing = true;
          this.#waiting.unshift(...batch);
          throw error;
        }
        this.#failing = false;
        this.counters.written += batch.length;
        this.#metrics?.recordsWritten(batch.length);
        this.#forget(batch);
      }
    })().finally(() => {
      this.#writing = undefined;
    });
    this.#writing = writing;
    return writing;
  }
}
